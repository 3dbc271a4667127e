package report

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/postbus/postbus/bench/workload"
)

// Comparison is one workload measured on postbus and on Dovecot in the
// same run. Ratio is postbus ops/s over Dovecot ops/s (0 if Dovecot did
// no operation).
type Comparison struct {
	Workload string
	Postbus  workload.Result
	Dovecot  workload.Result
	Ratio    float64
}

// NewComparison computes the ratio.
func NewComparison(p, d workload.Result) Comparison {
	c := Comparison{Workload: p.Workload, Postbus: p, Dovecot: d}
	if d.OpsPerSec > 0 {
		c.Ratio = p.OpsPerSec / d.OpsPerSec
	}
	return c
}

// WriteTable writes one line per result.
func WriteTable(w io.Writer, results []workload.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttarget\tconc\tops\tops/s\tmsgs/s\tMB/s\tp50\tp90\tp99\tmax\terrors\tclient CPU\tserver CPU\tserver RSS\t")
	for _, r := range results {
		srvCPU, srvRSS := "-", "-"
		if r.ServerPeakRSS > 0 {
			srvCPU, srvRSS = fmt.Sprintf("%.0f%%", r.ServerCPUPct), fmt.Sprintf("%.0fMB", float64(r.ServerPeakRSS)/1e6)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.1f\t%.2f\t%s\t%s\t%s\t%s\t%d\t%.0f%%\t%s\t%s\t\n",
			r.Workload, r.Target, r.Concurrency, r.Ops, r.OpsPerSec, r.MsgsPerSec, r.BytesPerSec/1e6,
			Dur(r.P50), Dur(r.P90), Dur(r.P99), Dur(r.Max), r.Errors, r.ClientCPUPct, srvCPU, srvRSS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s on %s: first error: %s\n", r.Workload, r.Target, r.FirstError)
		}
	}
	return nil
}

// WriteComparison writes a table per workload (both figures and the
// ratio) and then a summary of ops/s ratios.
func WriteComparison(w io.Writer, cs []Comparison) error {
	for _, c := range cs {
		fmt.Fprintf(w, "\n== %s (%s)\n", c.Workload, workload.Doc(c.Workload))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\tpostbus\tdovecot\tpostbus/dovecot\t")
		row := func(name string, p, d float64, format string) {
			ratio := "-"
			if d > 0 {
				ratio = fmt.Sprintf("%.2f×", p/d)
			}
			fmt.Fprintf(tw, "%s\t"+format+"\t"+format+"\t%s\t\n", name, p, d, ratio)
		}
		durRow := func(name string, p, d time.Duration) {
			ratio := "-"
			if d > 0 {
				ratio = fmt.Sprintf("%.2f×", float64(p)/float64(d))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, Dur(p), Dur(d), ratio)
		}
		p, d := c.Postbus, c.Dovecot
		row("ops/s", p.OpsPerSec, d.OpsPerSec, "%.1f")
		row("messages/s", p.MsgsPerSec, d.MsgsPerSec, "%.1f")
		row("MB/s", p.BytesPerSec/1e6, d.BytesPerSec/1e6, "%.2f")
		durRow("p50", p.P50, d.P50)
		durRow("p90", p.P90, d.P90)
		durRow("p99", p.P99, d.P99)
		durRow("max", p.Max, d.Max)
		fmt.Fprintf(tw, "ops\t%d\t%d\t\t\n", p.Ops, d.Ops)
		fmt.Fprintf(tw, "errors\t%d\t%d\t\t\n", p.Errors, d.Errors)
		fmt.Fprintf(tw, "client CPU\t%.0f%%\t%.0f%%\t\t\n", p.ClientCPUPct, d.ClientCPUPct)
		if p.ServerPeakRSS > 0 || d.ServerPeakRSS > 0 {
			row("server CPU %", p.ServerCPUPct, d.ServerCPUPct, "%.0f")
			row("server CPU ms/op", cpuPerOp(p), cpuPerOp(d), "%.3f")
			row("server RSS MB before run", float64(p.ServerStartRSS)/1e6, float64(d.ServerStartRSS)/1e6, "%.0f")
			row("server RSS MB peak in run", float64(p.ServerPeakRSS)/1e6, float64(d.ServerPeakRSS)/1e6, "%.0f")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, r := range []workload.Result{p, d} {
			if r.FirstError != "" {
				fmt.Fprintf(w, "%s first error: %s\n", r.Target, r.FirstError)
			}
		}
	}
	fmt.Fprintln(w, "\n== summary: throughput (ops/s), ratio postbus/dovecot")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tpostbus\tdovecot\tratio\terrors p/d\t")
	var none []string
	for _, c := range cs {
		ratio := fmt.Sprintf("%.2f×", c.Ratio)
		if c.Dovecot.Ops == 0 || c.Postbus.Ops == 0 {
			// No operation finished on one side within the run: there is
			// no ratio to print (JSON keeps 0).
			ratio = "-"
			none = append(none, c.Workload)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%d/%d\t\n", c.Workload, c.Postbus.OpsPerSec, c.Dovecot.OpsPerSec, ratio, c.Postbus.Errors, c.Dovecot.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, name := range none {
		fmt.Fprintf(w, "%s: a server completed no operation within the run (longer --duration measures it)\n", name)
	}
	return nil
}

// cpuPerOp is the server's CPU milliseconds per successful operation: the
// cost figure that stays meaningful when client and server share cores.
func cpuPerOp(r workload.Result) float64 {
	if r.Ops == 0 {
		return 0
	}
	return float64(r.ServerCPU) / 1e6 / float64(r.Ops)
}

// Dur formats a latency compactly with three significant digits.
func Dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3g", float64(d)/1e6) + "ms"
	default:
		return fmt.Sprintf("%.3g", d.Seconds()) + "s"
	}
}
