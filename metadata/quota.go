package metadata

import (
	"context"

	"github.com/postbus/postbus/proto/metadatapb"
)

// GetQuota returns the user's quota limits and usage (RFC 9208: one quota
// root per user).
func (n *Node) GetQuota(ctx context.Context, req *metadatapb.GetQuotaRequest) (*metadatapb.Quota, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("GetQuota", err)
	}
	defer release()
	resp, err := n.st.GetQuota(req.User)
	return resp, n.rpcErr("GetQuota", err)
}

// SetQuota replaces the user's limits; 0 means unlimited. Frontends never
// call it: IMAP SETQUOTA is refused, limits are an administrator's
// (`postbus user quota`).
func (n *Node) SetQuota(ctx context.Context, req *metadatapb.SetQuotaRequest) (*metadatapb.Quota, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("SetQuota", err)
	}
	defer release()
	resp, err := n.st.SetQuota(req.User, req.StorageLimitKib, req.MessageLimit)
	if err == nil {
		n.log.Info("metadata: quota set", "user", req.User, "storage_kib", req.StorageLimitKib, "messages", req.MessageLimit)
	}
	return resp, n.rpcErr("SetQuota", err)
}
