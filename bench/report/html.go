package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/postbus/postbus/bench/workload"
)

// palette colours targets in order of first appearance.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

// WriteHTML writes a self-contained page: a table, a grouped bar chart of
// ops/s per workload and target, and a latency CDF per workload.
func WriteHTML(w io.Writer, title string, results []workload.Result) error {
	targets, byWorkload, order := group(results)
	color := map[string]string{}
	for i, t := range targets {
		color[t] = palette[i%len(palette)]
	}
	var legend strings.Builder
	for _, t := range targets {
		fmt.Fprintf(&legend, `<span style="color:%s">&#9632;</span> %s &nbsp; `, color[t], template.HTMLEscapeString(t))
	}
	var table strings.Builder
	WriteTable(&table, results)
	var cdfs []template.HTML
	for _, wl := range order {
		cdfs = append(cdfs, template.HTML(cdfSVG(wl, byWorkload[wl], color)))
	}
	return pageTmpl.Execute(w, map[string]any{
		"Title":  title,
		"When":   time.Now().UTC().Format(time.RFC3339),
		"Legend": template.HTML(legend.String()),
		"Bars":   template.HTML(barsSVG(order, targets, byWorkload, color)),
		"CDFs":   cdfs,
		"Table":  table.String(),
	})
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}pre{font-size:12px;overflow-x:auto}
.cdfs{display:flex;flex-wrap:wrap;gap:12px}svg text{font-size:11px}</style></head>
<body><h1>{{.Title}}</h1><p>Generated {{.When}} by <code>postbus bench</code>. {{.Legend}}</p>
<h2>Throughput (operations per second, log scale)</h2>{{.Bars}}
<h2>Latency CDF per workload</h2><div class="cdfs">{{range .CDFs}}{{.}}{{end}}</div>
<h2>Figures</h2><pre>{{.Table}}</pre></body></html>
`))

func group(results []workload.Result) (targets []string, by map[string][]workload.Result, order []string) {
	by = map[string][]workload.Result{}
	seenT := map[string]bool{}
	for _, r := range results {
		if !seenT[r.Target] {
			seenT[r.Target] = true
			targets = append(targets, r.Target)
		}
		if _, ok := by[r.Workload]; !ok {
			order = append(order, r.Workload)
		}
		by[r.Workload] = append(by[r.Workload], r)
	}
	return targets, by, order
}

// barsSVG draws horizontal bars, one group per workload, log-scaled so
// that 5 and 5,000 ops/s both read.
func barsSVG(order, targets []string, by map[string][]workload.Result, color map[string]string) string {
	const left, width, barH, gap = 150, 700, 14, 10
	maxV := 1.0
	for _, rs := range by {
		for _, r := range rs {
			maxV = math.Max(maxV, r.OpsPerSec)
		}
	}
	top := math.Pow(10, math.Ceil(math.Log10(maxV)))
	x := func(v float64) float64 {
		if v < 1 {
			return 0
		}
		return width * math.Log10(v) / math.Log10(top)
	}
	const top0 = 6 // room above the first group
	groupH := barH*len(targets) + gap
	height := top0 + groupH*len(order) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">`, left+width+80, height)
	for p := 1.0; p <= top; p *= 10 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%g</text>`,
			left+x(p), left+x(p), height-20, left+x(p), height-5, p)
	}
	for i, wl := range order {
		y0 := top0 + i*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, y0+groupH/2+2, template.HTMLEscapeString(wl))
		rs := by[wl]
		sort.SliceStable(rs, func(a, c int) bool { return indexOf(targets, rs[a].Target) < indexOf(targets, rs[c].Target) })
		for j, r := range rs {
			y := y0 + j*barH
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %.1f ops/s</title></rect>`,
				left, y, math.Max(1, x(r.OpsPerSec)), barH-2, color[r.Target], template.HTMLEscapeString(r.Target), wl, r.OpsPerSec)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.1f</text>`, left+x(r.OpsPerSec)+4, y+barH-4, r.OpsPerSec)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// cdfSVG draws one workload's latency CDFs, latency on a log axis.
func cdfSVG(wl string, rs []workload.Result, color map[string]string) string {
	const w, h, pad = 340, 220, 36
	lo, hi := math.Inf(1), 0.0
	for _, r := range rs {
		for _, p := range r.CDF {
			v := float64(p.Latency)
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d"><text x="%d" y="14" font-weight="bold">%s</text>`,
		w, h, pad, template.HTMLEscapeString(wl))
	if hi == 0 {
		b.WriteString(`<text x="40" y="100">no data</text></svg>`)
		return b.String()
	}
	l0, l1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if l1 == l0 {
		l1++
	}
	px := func(v float64) float64 { return pad + (w-2*pad+20)*(math.Log10(math.Max(v, lo))-l0)/(l1-l0) }
	py := func(f float64) float64 { return h - pad - (h-2*pad)*f }
	for e := l0; e <= l1; e++ {
		x := px(math.Pow(10, e))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			x, py(0), x, py(1), x, h-pad+14, Dur(time.Duration(math.Pow(10, e))))
	}
	for _, f := range []float64{0, 0.5, 0.9, 1} {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%g</text>`,
			pad, py(f), w-pad+20, py(f), pad-3, py(f)+3, f)
	}
	for _, r := range rs {
		var pts strings.Builder
		prev := 0.0
		for _, p := range r.CDF {
			x := px(float64(p.Latency))
			fmt.Fprintf(&pts, "%.1f,%.1f %.1f,%.1f ", x, py(prev), x, py(p.Fraction))
			prev = p.Fraction
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"><title>%s</title></polyline>`,
			color[r.Target], pts.String(), template.HTMLEscapeString(r.Target))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d">latency</text></svg>`, w/2, h-4)
	return b.String()
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return len(list)
}
