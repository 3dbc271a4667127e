package cluster

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/postbus/postbus/metadata/base"
)

// DefaultPrefix is the etcd key prefix of a cluster when none is configured.
const DefaultPrefix = "/postbus/"

// MaxShards bounds the shard count of a cluster: every node keeps a small
// slot per shard, and the controller plans over all of them.
const MaxShards = 1 << 16

// Sentinel errors of the package. Routing errors wrap base sentinels so the
// frontend maps them to IMAP responses without knowing this package.
var (
	ErrBadConfig    = fmt.Errorf("cluster: bad configuration: %w", base.ErrInvalidArgument)
	ErrNoOwner      = fmt.Errorf("cluster: shard has no live owner: %w", base.ErrUnavailable)
	ErrCorruptMap   = fmt.Errorf("cluster: corrupt shard map entry: %w", base.ErrUnavailable)
	ErrNotServing   = fmt.Errorf("cluster: shard not served here: %w", base.ErrNotOwner)
	ErrWrongShards  = fmt.Errorf("cluster: shard count differs from the cluster's: %w", base.ErrInvalidArgument)
	ErrWrongCluster = fmt.Errorf("cluster: the store belongs to another cluster: %w", base.ErrInvalidArgument)
)

// Shard states of a map entry.
const (
	StateActive = "active" // the owner serves the shard
	StateMoving = "moving" // the owner is handing the shard off to Target
)

// NodeInfo is the record a metadata node keeps under nodes/<id> while it
// lives (the key is bound to the node's lease).
type NodeInfo struct {
	ID      string `json:"id"`
	Addr    string `json:"addr"` // gRPC address of the node's Metadata and Cluster services
	Version string `json:"version,omitempty"`
}

// ShardEntry is the value of shards/<%05d>. A missing key is an unassigned
// shard.
type ShardEntry struct {
	Owner  string `json:"owner"`
	Epoch  uint64 `json:"epoch"` // +1 at every change of owner
	State  string `json:"state"`
	Target string `json:"target,omitempty"` // StateMoving only
}

// keys names the etcd keys of a cluster under a prefix.
type keys struct{ prefix string }

func newKeys(prefix string) keys {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return keys{prefix: prefix}
}

func (k keys) config() string         { return k.prefix + "config/shards" }
func (k keys) id() string             { return k.prefix + "config/id" }
func (k keys) nodesPrefix() string    { return k.prefix + "nodes/" }
func (k keys) node(id string) string  { return k.nodesPrefix() + id }
func (k keys) shardsPrefix() string   { return k.prefix + "shards/" }
func (k keys) shard(s uint32) string  { return fmt.Sprintf("%s%05d", k.shardsPrefix(), s) }
func (k keys) drainPrefix() string    { return k.prefix + "drain/" }
func (k keys) drain(id string) string { return k.drainPrefix() + id }
func (k keys) election() string       { return k.prefix + "election" }
func (k keys) nodeFromKey(key string) string {
	return strings.TrimPrefix(key, k.nodesPrefix())
}

// shardFromKey parses the shard number of a shards/ key.
func (k keys) shardFromKey(key string) (uint32, bool) {
	s, ok := strings.CutPrefix(key, k.shardsPrefix())
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil
}

// ValidNodeID reports whether id can name a node: 1 to 64 bytes of
// [A-Za-z0-9._-], so it is safe in etcd keys, logs and file names.
func ValidNodeID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func decodeNode(b []byte) (NodeInfo, error) {
	var n NodeInfo
	if err := json.Unmarshal(b, &n); err != nil || !ValidNodeID(n.ID) {
		return NodeInfo{}, fmt.Errorf("%w: node record %q", ErrCorruptMap, b)
	}
	return n, nil
}

func decodeShard(b []byte) (ShardEntry, error) {
	var e ShardEntry
	if err := json.Unmarshal(b, &e); err != nil || e.Owner == "" || (e.State != StateActive && e.State != StateMoving) ||
		(e.State == StateMoving && e.Target == "") {
		return ShardEntry{}, fmt.Errorf("%w: %q", ErrCorruptMap, b)
	}
	return e, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of strings and integers are marshalled here.
		panic(err)
	}
	return string(b)
}
