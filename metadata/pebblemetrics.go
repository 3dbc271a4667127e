package metadata

import (
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// PebbleMetrics returns the store's Pebble metrics, or false once the
// node is closed (Pebble must not be asked after Close).
func (n *Node) PebbleMetrics() (*pebble.Metrics, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.mu.closed {
		return nil, false
	}
	return n.db.Metrics(), true
}

// NewPebbleCollector returns a collector that reads the node's Pebble
// metrics at every scrape: disk usage, read amplification, compactions,
// flushes, memtables, WAL size and fsync latency, block cache, tables per
// level. A closed node yields no samples.
func NewPebbleCollector(n *Node) prometheus.Collector {
	return &pebbleCollector{n: n}
}

type pebbleCollector struct{ n *Node }

func pebbleDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("postbus_pebble_"+name, help, labels, nil)
}

var (
	pebbleDiskUsage     = pebbleDesc("disk_usage_bytes", "Bytes of disk the store uses (tables, WAL, blob files, manifests).")
	pebbleReadAmp       = pebbleDesc("read_amplification", "Read amplification: sublevels of L0 plus non-empty levels below.")
	pebbleCompactions   = pebbleDesc("compactions_total", "Compactions completed.")
	pebbleCompactDebt   = pebbleDesc("compaction_debt_bytes", "Estimated bytes to compact for the LSM to reach a stable state.")
	pebbleCompactActive = pebbleDesc("compactions_in_progress", "Compactions running now.")
	pebbleFlushes       = pebbleDesc("flushes_total", "Memtable flushes completed.")
	pebbleMemtableSize  = pebbleDesc("memtable_size_bytes", "Bytes allocated by memtables (including those being flushed).")
	pebbleMemtables     = pebbleDesc("memtables", "Memtables (including those being flushed).")
	pebbleWALSize       = pebbleDesc("wal_size_bytes", "Live bytes in the write-ahead log.")
	pebbleWALBytesIn    = pebbleDesc("wal_bytes_in_total", "Logical bytes written to the write-ahead log.")
	pebbleWALWritten    = pebbleDesc("wal_bytes_written_total", "Physical bytes written to the write-ahead log (with record overhead).")
	pebbleWALFsync      = pebbleDesc("wal_fsync_duration_seconds", "Latency of write-ahead log fsyncs.")
	pebbleCacheSize     = pebbleDesc("block_cache_size_bytes", "Bytes in the block cache.")
	pebbleCacheHits     = pebbleDesc("block_cache_hits_total", "Block cache hits.")
	pebbleCacheMisses   = pebbleDesc("block_cache_misses_total", "Block cache misses.")
	pebbleTables        = pebbleDesc("tables", "SSTables per LSM level.", "level")
	pebbleTablesSize    = pebbleDesc("tables_size_bytes", "Bytes of SSTables per LSM level.", "level")
)

// Describe implements prometheus.Collector.
func (c *pebbleCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pebbleDiskUsage, pebbleReadAmp, pebbleCompactions, pebbleCompactDebt,
		pebbleCompactActive, pebbleFlushes, pebbleMemtableSize, pebbleMemtables, pebbleWALSize, pebbleWALBytesIn,
		pebbleWALWritten, pebbleWALFsync, pebbleCacheSize, pebbleCacheHits, pebbleCacheMisses, pebbleTables, pebbleTablesSize} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *pebbleCollector) Collect(ch chan<- prometheus.Metric) {
	m, ok := c.n.PebbleMetrics()
	if !ok {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(pebbleDiskUsage, float64(m.DiskSpaceUsage()))
	gauge(pebbleReadAmp, float64(m.ReadAmp()))
	counter(pebbleCompactions, float64(m.Compact.Count))
	gauge(pebbleCompactDebt, float64(m.Compact.EstimatedDebt))
	gauge(pebbleCompactActive, float64(m.Compact.NumInProgress))
	counter(pebbleFlushes, float64(m.Flush.Count))
	gauge(pebbleMemtableSize, float64(m.MemTable.Size))
	gauge(pebbleMemtables, float64(m.MemTable.Count))
	gauge(pebbleWALSize, float64(m.WAL.Size))
	counter(pebbleWALBytesIn, float64(m.WAL.BytesIn))
	counter(pebbleWALWritten, float64(m.WAL.BytesWritten))
	gauge(pebbleCacheSize, float64(m.BlockCache.Size))
	counter(pebbleCacheHits, float64(m.BlockCache.Hits))
	counter(pebbleCacheMisses, float64(m.BlockCache.Misses))
	for level, lm := range m.Levels {
		l := strconv.Itoa(level)
		gauge(pebbleTables, float64(lm.TablesCount), l)
		gauge(pebbleTablesSize, float64(lm.TablesSize), l)
	}
	if h := m.LogWriter.FsyncLatency; h != nil {
		if fm, ok := fsyncHistogram(h); ok {
			ch <- fm
		}
	}
}

// fsyncSeconds are the bucket bounds postbus reports fsync latency with:
// Pebble's histogram has a hundred buckets (in nanoseconds); for each of
// these the largest Pebble bound not above it is kept, so every reported
// bucket is exact, only coarser.
var fsyncSeconds = []float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// fsyncHistogram converts Pebble's fsync latency histogram to seconds.
func fsyncHistogram(h prometheus.Histogram) (prometheus.Metric, bool) {
	var pb dto.Metric
	if err := h.Write(&pb); err != nil || pb.Histogram == nil {
		return nil, false
	}
	ph := pb.Histogram
	buckets := make(map[float64]uint64, len(fsyncSeconds))
	pbs := ph.GetBucket()
	for _, want := range fsyncSeconds {
		var bound float64
		var count uint64
		found := false
		for _, b := range pbs {
			sec := b.GetUpperBound() / float64(time.Second)
			if sec > want {
				break
			}
			bound, count, found = sec, b.GetCumulativeCount(), true
		}
		if found {
			buckets[bound] = count
		}
	}
	m, err := prometheus.NewConstHistogram(pebbleWALFsync, ph.GetSampleCount(), ph.GetSampleSum()/float64(time.Second), buckets)
	if err != nil {
		return nil, false
	}
	return m, true
}
