package workload

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/target"
)

// ErrWorkload is the sentinel wrapped by every error of this package.
var ErrWorkload = errors.New("workload")

// opResult is what one operation did.
type opResult struct {
	msgs  int64 // messages fetched, matched, appended or selected
	bytes int64 // bytes on the wire (both directions)
	// mismatch: a search answered with an unexpected hit count.
	mismatch bool
}

// worker runs operations on its own connection(s). It is used by one
// goroutine only.
type worker interface {
	op(r *rand.Rand) (opResult, error)
	close()
}

// env is what a worker needs to know about the run.
type env struct {
	t    *target.Target
	opt  *Options
	gen  *corpus.Generator // queries and expectations
	user int
}

// def is one named workload.
type def struct {
	name, doc string
	new       func(e *env) (worker, error)
}

var registry = map[string]def{}

func register(d def) { registry[d.name] = d }

// Names lists every workload, in a stable order (the order of Run reports).
func Names() []string {
	order := []string{"fetch-envelope", "fetch-headers", "fetch-body", "fetch-bodystructure",
		"search-header", "search-body", "search-flags", "select", "append", "login", "mixed"}
	if len(order) != len(registry) {
		extra := []string{}
		for n := range registry {
			if !contains(order, n) {
				extra = append(extra, n)
			}
		}
		sort.Strings(extra)
		order = append(order, extra...)
	}
	return order
}

// Doc returns the one-line description of a workload.
func Doc(name string) string { return registry[name].doc }

// Parse splits a comma-separated list ("all" means every workload) and
// checks each name.
func Parse(list string) ([]string, error) {
	if list == "" || list == "all" {
		return Names(), nil
	}
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if _, ok := registry[n]; !ok {
			return nil, fmt.Errorf("%w: unknown workload %q (known: %s)", ErrWorkload, n, strings.Join(Names(), ", "))
		}
		out = append(out, n)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
