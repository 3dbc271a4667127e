package load

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// progress draws "name [#####.....] done/total msgs, rate, MB/s" on one line.
type progress struct {
	total       int64
	done, bytes atomic.Int64
}

// run redraws the line every second until the returned stop is called,
// which draws it a last time and ends the line.
func (p *progress) run(w io.Writer, name string) (stop func()) {
	if w == nil {
		return func() {}
	}
	start := time.Now()
	quit, finished := make(chan struct{}), make(chan struct{})
	draw := func() {
		done, total := p.done.Load(), max(p.total, 1)
		const width = 30
		fill := int(done * width / total)
		el := time.Since(start).Seconds()
		rate := float64(done) / max(el, 1e-9)
		eta := "-"
		if rate > 0 && done < total {
			eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(w, "\rload %s [%s%s] %d/%d msgs %.0f msg/s %.1f MB/s eta %s   ",
			name, strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, p.total, rate,
			float64(p.bytes.Load())/1e6/max(el, 1e-9), eta)
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				draw()
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		draw()
		fmt.Fprintln(w)
	}
}
