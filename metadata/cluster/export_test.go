package cluster

// Test hooks for package cluster_test.

// ReconcileForTest applies map mp as if the watcher had just published it
// (a test passes an older map to play a watcher that lags behind etcd).
func (m *Member) ReconcileForTest(mp *ShardMap) { m.reconcile(mp) }

// HandoffRunning reports whether a handoff goroutine of shard s is running.
func (m *Member) HandoffRunning(s uint32) bool {
	m.mu.Lock()
	t := m.mu.transfers[s]
	m.mu.Unlock()
	if t == nil {
		return false
	}
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}
