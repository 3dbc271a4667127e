package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/bench/hist"
	"github.com/postbus/postbus/bench/workload"
)

func result(wl, target string, ops float64, lat time.Duration) workload.Result {
	h := hist.New()
	for i := 1; i <= 100; i++ {
		h.Record(lat * time.Duration(i) / 50)
	}
	return workload.Result{Workload: wl, Target: target, Concurrency: 4, Ops: int64(ops * 10), OpsPerSec: ops,
		MsgsPerSec: ops * 50, BytesPerSec: ops * 1e5, P50: h.Quantile(.5), P90: h.Quantile(.9), P99: h.Quantile(.99),
		Max: h.Max(), ClientCPUPct: 42, CDF: h.CDF()}
}

func sample() []Comparison {
	return []Comparison{
		NewComparison(result("fetch-envelope", "postbus", 300, 2*time.Millisecond), result("fetch-envelope", "dovecot", 100, 6*time.Millisecond)),
		NewComparison(result("login", "postbus", 50, 20*time.Millisecond), result("login", "dovecot", 0, 0)),
	}
}

func TestComparisonJSONHasExactlyTheFourKeys(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteComparisonJSON(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if len(r) != 4 || r["workload"] == nil || r["postbus"] == nil || r["dovecot"] == nil || r["ratio"] == nil {
			t.Fatalf("row keys %v, want exactly workload postbus dovecot ratio", r)
		}
	}
	if rows[0]["ratio"].(float64) != 3 || rows[1]["ratio"].(float64) != 0 {
		t.Fatalf("ratios %v %v, want 3 and 0 (dovecot did nothing)", rows[0]["ratio"], rows[1]["ratio"])
	}
}

func TestComparisonTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteComparison(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"== fetch-envelope", "postbus/dovecot", "3.00×", "== summary", "p99",
		"login: a server completed no operation within the run"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// A side without operations has no ratio, not 0×.
	if !regexp.MustCompile(`(?m)^\s*login\s+50\.0\s+0\.0\s+-\s+0/0`).MatchString(out) {
		t.Errorf("summary line of login (dovecot: no operation):\n%s", out)
	}
	buf.Reset()
	WriteTable(&buf, []workload.Result{result("select", "x", 12.5, time.Millisecond)})
	if !regexp.MustCompile(`select\s+x\s+4\s+125\s+12\.5`).MatchString(buf.String()) {
		t.Errorf("single-target table:\n%s", buf.String())
	}
}

func TestHTMLIsSelfContainedWithWellFormedSVG(t *testing.T) {
	var rs []workload.Result
	for _, c := range sample() {
		rs = append(rs, c.Postbus, c.Dovecot)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, "bench <test>", rs); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<script") || strings.Contains(page, "src=") || strings.Contains(page, "href=") {
		t.Fatal("page references external resources or scripts")
	}
	if !strings.Contains(page, "bench &lt;test&gt;") {
		t.Error("title not escaped")
	}
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1)
	if len(svgs) != 3 { // bars + one CDF per workload
		t.Fatalf("%d SVGs, want 3", len(svgs))
	}
	for _, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG not well-formed: %v\n%s", err, s)
			}
		}
	}
	if !strings.Contains(svgs[2], "no data") && !strings.Contains(svgs[2], "polyline") {
		t.Error("CDF chart has neither lines nor a no-data note")
	}
}

func TestDur(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0"}, {850 * time.Microsecond, "850µs"}, {12345 * time.Microsecond, "12.3ms"}, {2500 * time.Millisecond, "2.5s"}} {
		if got := Dur(c.d); got != c.want {
			t.Errorf("Dur(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
