package report

import (
	"encoding/json"
	"io"
	"math"

	"github.com/postbus/postbus/bench/workload"
)

// ratioJSON is the machine-readable comparison: exactly these four keys,
// throughput in ops/s.
type ratioJSON struct {
	Workload string  `json:"workload"`
	Postbus  float64 `json:"postbus"`
	Dovecot  float64 `json:"dovecot"`
	Ratio    float64 `json:"ratio"`
}

// WriteComparisonJSON writes a JSON array of {workload, postbus, dovecot,
// ratio} objects.
func WriteComparisonJSON(w io.Writer, cs []Comparison) error {
	out := make([]ratioJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, ratioJSON{c.Workload, round(c.Postbus.OpsPerSec), round(c.Dovecot.OpsPerSec), round(c.Ratio)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteJSON writes full results (every field, with the latency CDF).
func WriteJSON(w io.Writer, results []workload.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }
