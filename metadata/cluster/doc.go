// Package cluster coordinates metadata nodes through etcd: the fixed shard
// count, membership, the shard map, the controller that assigns and
// rebalances shards, the ownership gate every metadata RPC passes, and the
// handoff that moves a shard between nodes. The frontend's router
// (frontend/router) and `postbus serve` (a one-node cluster over an
// embedded etcd, package embedded) use the same code.
//
// # etcd layout
//
// Under a prefix (DefaultPrefix "/postbus/"):
//
//	config/shards   S, decimal; written once by the first node, in a txn
//	                "create if absent" (EnsureShards). Never changes: it is
//	                part of every node's key layout (base.ShardOf).
//	config/id       the cluster's random identity, written with S. A node
//	                records it beside its store (MemberOptions.IdentityFile)
//	                and refuses to join another cluster: after etcd is lost
//	                or replaced, an empty map must not make nodes drop data.
//	nodes/<id>      NodeInfo JSON {id, addr, version}, put under the node's
//	                lease (TTL 5 s, kept alive). Present = the node is live.
//	drain/<id>      present = the node is leaving: it gets no shards and
//	                gives its shards away. Not leased: it is an operator's
//	                intent and outlives restarts (SetDrain, Member.Leave).
//	shards/<%05d>   ShardEntry JSON {owner, epoch, state, target}; absent =
//	                unassigned. state is "active" or "moving" (to target).
//	election        the controller election (concurrency.Election).
//	gc-leader       the blob collector's election (metadata/gc): only the
//	                leader among nodes with a shared blob store collects.
//
// The shard map (ShardMap) is the view of all of this at one etcd revision;
// MapWatcher keeps one up to date from a single prefix watch and publishes
// immutable snapshots.
//
// # Ownership (the fence)
//
// A node serves shard s — admits RPCs for users u with ShardOf(u) == s —
// exactly while its map says owner == self and state == active. The check
// is one gRPC interceptor (Member.UnaryInterceptor/StreamInterceptor,
// reading GetUser() of the request); everything else gets NOT_OWNER
// (base.ErrNotOwner), which tells the router to refresh its map and retry.
// Each admitted RPC holds the shard's slot lock for reading until it
// returns; a handoff takes the write lock once after stopping admission,
// so it starts only when every admitted write has committed. Watch streams
// of the shard's users end with NOT_OWNER at the fence, so frontends
// subscribe again at the new owner.
//
// A node whose lease expired still owns its shards: nobody else can serve
// them (there is no replication yet), so the map is left alone and the
// router answers base.ErrUnavailable for them (IMAP NO [UNAVAILABLE]) until
// the node registers again. A shard's data is never served from anywhere
// but its owner's store, so no user is ever served stale or empty state.
//
// # Handoff of shard s from A to B
//
//  1. The controller writes {owner A, state moving, target B} in a txn
//     that compares the entry's ModRevision with the one it planned from.
//  2. A sees it and fences s (above), then streams the shard's key range —
//     one Pebble snapshot of [s, s+1), which holds the users' mailboxes
//     with their UIDNEXT/HIGHESTMODSEQ, so UIDs continue and are never
//     reused — to B over Cluster.ReceiveShard (proto/cluster.proto).
//  3. B accepts only while its map shows exactly this handoff and it does
//     not serve s, clears its copy of the range first (a retried transfer
//     overwrites a partial one), writes the pairs in fsynced batches,
//     checks the count and a CRC-64 of the stream, and only then answers.
//     From that answer on, B's copy is what B will serve the moment it sees
//     the flip, which its map may show at any time: so B records a receipt
//     (the moving entry's ModRevision, count, CRC) and never clears or
//     rewrites the range for another stream of the same handoff. Such a
//     stream — A retrying after a lost answer, a late attempt A gave up on,
//     A working from a map that lags behind its own flip, possibly after
//     dropping its copy — is only compared with the receipt: answered as
//     received if identical (A is fenced, so a genuine retry is), refused
//     otherwise. Clearing instead would make B, once it sees the flip,
//     answer NO_SUCH_USER for existing users, or lose the shard.
//  4. A flips the entry in one txn: if ModRevision is still the one of
//     step 1, {owner B, epoch+1, state active}. (A writes the flip rather
//     than the controller: one round trip less, and the compare makes it
//     exactly as safe; the controller alone starts and cancels moves.)
//     Before every send A asks etcd (not its watcher, which may lag behind
//     the flip) whether the entry is still that of step 1, and a finished
//     handoff stays recorded until A's map shows the change, so A never
//     sends a shard again once the handoff is over.
//  5. B sees the flip and starts serving; A sees it and deletes its copy
//     (DeleteRange, fsync).
//
// A crash anywhere leaves one authoritative owner, the one the map names:
// before the flip it is A (which resumes the handoff when it restarts; the
// shard is unavailable meanwhile), after it B. A node deletes its local
// copy of a shard only when its newest map names another owner and no
// handoff to itself (checked under the slot's data lock, which ingests
// also hold), and checks every shard it has data for at start-up. If the
// target disappears or starts draining, the controller cancels the handoff
// (back to {owner A, active}); a late flip then fails its compare.
//
// # Controller and rebalancing
//
// Every metadata node campaigns; the leader runs Plan on every map change
// (and every 2 s) and writes its actions, each guarded by the entry's
// ModRevision and the leader key's CreateRevision, so a stale leader or
// plan writes nothing. Plan is a pure function of the map:
//
//   - Eligible nodes are the live ones without a drain mark. The load of a
//     node counts its active shards plus handoffs in flight to it.
//   - A handoff whose target is gone or draining is cancelled.
//   - Unassigned shards (only at cluster creation) go, lowest first, to the
//     eligible node with the least load, lowest id on ties: round-robin on
//     a fresh cluster. The controller waits until membership has been
//     stable for AssignDelay so that nodes started together share the
//     initial assignment without handoffs.
//   - With fewer than MaxMoves handoffs in flight (default 1: one at a
//     time), each active shard of a live draining node moves to the least
//     loaded eligible node; then, while max-min load over eligible nodes
//     exceeds 1, the lowest shard of the most loaded node (that has an
//     active shard to give) moves to the least loaded one.
//   - Shards of nodes that are not live never move: only their owner has
//     their data.
//
// Each round strictly reduces the sum over nodes of |load - mean| or the
// number of unassigned or draining-owned shards, so the map converges to
// every shard assigned and max-min ≤ 1 (TestPlanConverges).
package cluster
