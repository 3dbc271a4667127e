package hist

import (
	"math/bits"
	"time"
)

// subBits is log2 of the linear sub-buckets per power of two.
const subBits = 6

const (
	subCount = 1 << subBits
	// nBuckets covers every non-negative int64: values below subCount map to
	// themselves, each higher power of two adds subCount buckets.
	nBuckets = subCount * (64 - subBits + 1)
)

// Histogram records durations (as nanoseconds).
type Histogram struct {
	counts [nBuckets]uint64
	total  uint64
	max    int64
	min    int64
	sum    float64
}

// New returns an empty histogram.
func New() *Histogram { return &Histogram{min: -1} }

func index(v int64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits - 1 // shift that leaves subBits+1 bits
	return (e+1)*subCount + int(uint64(v)>>uint(e)) - subCount
}

// upper returns the largest value that maps to bucket i.
func upper(i int) int64 {
	if i < subCount {
		return int64(i)
	}
	e := i/subCount - 1
	m := int64(i%subCount + subCount)
	return (m+1)<<uint(e) - 1
}

// Record adds one observation; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[index(v)]++
	h.total++
	h.sum += float64(v)
	if v > h.max {
		h.max = v
	}
	if h.min < 0 || v < h.min {
		h.min = v
	}
}

// Merge adds all observations of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
	if h.min < 0 || (o.min >= 0 && o.min < h.min) {
		h.min = o.min
	}
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest observation, exact.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the arithmetic mean, exact.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Quantile returns the value at quantile q in [0,1]: the upper bound of the
// bucket holding the ceil(q·n)-th smallest observation, capped by Max so
// that p100 is exact. It returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	if q <= 0 {
		return time.Duration(h.min)
	}
	rank := uint64(q*float64(h.total) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	if rank > h.total {
		rank = h.total
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(upper(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// Point is one step of a cumulative distribution.
type Point struct {
	Latency  time.Duration `json:"latency_ns"`
	Fraction float64       `json:"fraction"`
}

// CDF returns the cumulative distribution: one point per non-empty bucket,
// in increasing latency, the last with Fraction 1.
func (h *Histogram) CDF() []Point {
	if h.total == 0 {
		return nil
	}
	var pts []Point
	var seen uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		pts = append(pts, Point{Latency: time.Duration(min(upper(i), h.max)), Fraction: float64(seen) / float64(h.total)})
	}
	return pts
}
