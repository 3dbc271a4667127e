package password

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("s3cret", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoding %q", h)
	}
	h2, _ := Hash("s3cret", fast)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"s3cret", true}, {"S3cret", false}, {"", false}, {"s3cret ", false}} {
		ok, err := Verify(tc.pw, h)
		if err != nil || ok != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
}

func TestDefaultParamsEncoded(t *testing.T) {
	h, err := Hash("x", Default)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, "$m=19456,t=2,p=1$") {
		t.Fatalf("params not encoded: %q", h)
	}
	Dummy("x") // must not panic
}

func TestMalformed(t *testing.T) {
	for _, s := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=18$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$AAAAAAAAAAAAAAAAAAAAAA",
	} {
		if _, err := Verify("x", s); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) err = %v, want ErrMalformed", s, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	h, _ := Hash("pw", fast)
	f.Add(h)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Verify("pw", s)
	})
}

// A login flood never runs more than cap(slots) argon2id computations at
// once: memory stays bounded by cap(slots) × Params.Memory.
func TestConcurrencyIsBounded(t *testing.T) {
	h, err := Hash("pw", fast)
	if err != nil {
		t.Fatal(err)
	}
	peak.Store(0)
	var wg sync.WaitGroup
	for i := 0; i < 8*cap(slots); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := Verify("pw", h); !ok || err != nil {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p < 1 || int(p) > cap(slots) {
		t.Fatalf("peak concurrent computations %d, want 1..%d", p, cap(slots))
	}
}
