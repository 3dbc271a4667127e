package hist

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestBucketsCoverAndOrder(t *testing.T) {
	for _, v := range []int64{0, 1, 63, 64, 65, 127, 128, 1000, 123456789, 1<<62 + 12345, 1<<63 - 1} {
		i := index(v)
		if i < 0 || i >= nBuckets {
			t.Fatalf("index(%d) = %d out of range", v, i)
		}
		if up := upper(i); up < v {
			t.Fatalf("upper(index(%d)) = %d < value", v, up)
		}
		if i > 0 && upper(i-1) >= v {
			t.Fatalf("value %d also fits bucket %d (upper %d)", v, i-1, upper(i-1))
		}
	}
}

func TestQuantilesWithinRelativeError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := New()
	var vals []int64
	for range 20000 {
		v := int64(r.ExpFloat64() * 5e6) // ~5 ms mean, long tail
		vals = append(vals, v)
		h.Record(time.Duration(v))
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := vals[int(q*float64(len(vals))+0.999999999)-1]
		got := int64(h.Quantile(q))
		if got < want || float64(got-want) > float64(want)/subCount+1 {
			t.Errorf("q%.3f = %d, exact %d: beyond 1/%d relative error", q, got, want, subCount)
		}
	}
	if h.Max() != time.Duration(vals[len(vals)-1]) {
		t.Errorf("Max = %v, want %v", h.Max(), vals[len(vals)-1])
	}
	if h.Count() != 20000 {
		t.Errorf("Count = %d", h.Count())
	}
}

func TestMergeAndCDF(t *testing.T) {
	a, b := New(), New()
	for i := 1; i <= 100; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
		b.Record(time.Duration(i+100) * time.Millisecond)
	}
	a.Merge(b)
	a.Merge(New())
	if a.Count() != 200 || a.Max() != 200*time.Millisecond {
		t.Fatalf("merged count %d max %v", a.Count(), a.Max())
	}
	cdf := a.CDF()
	if len(cdf) == 0 || cdf[len(cdf)-1].Fraction != 1 {
		t.Fatalf("CDF does not end at 1: %v", cdf)
	}
	for i := 1; i < len(cdf); i++ {
		if cdf[i].Latency <= cdf[i-1].Latency || cdf[i].Fraction <= cdf[i-1].Fraction {
			t.Fatalf("CDF not increasing at %d: %v %v", i, cdf[i-1], cdf[i])
		}
	}
	if New().Quantile(0.5) != 0 || New().CDF() != nil {
		t.Fatal("empty histogram must report zero")
	}
	if got := a.Quantile(0); got != time.Millisecond {
		t.Fatalf("q0 = %v, want min 1ms", got)
	}
}
