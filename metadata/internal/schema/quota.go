package schema

const formatQuotaV1 byte = 1

// QuotaRecord is a user's quota (RFC 9208 §5): limits, where 0 means
// unlimited, and usage over every mailbox of the user.
type QuotaRecord struct {
	// StorageLimitKiB limits the STORAGE resource, in units of 1024 octets
	// (RFC 9208 §5.1).
	StorageLimitKiB uint64
	// MessageLimit limits the MESSAGE resource (RFC 9208 §5.2).
	MessageLimit uint64
	// UsedBytes is the sum of the sizes of the user's messages.
	UsedBytes uint64
	// UsedMessages is the number of the user's messages.
	UsedMessages uint64
}

// QuotaKey is the key of the user's quota record.
func QuotaKey(shard uint32, user string) []byte { return UserPrefix(shard, TableQuota, user) }

// Encode returns the value bytes of r.
func (r *QuotaRecord) Encode() []byte {
	e := encoder{b: []byte{formatQuotaV1}}
	e.uvarint(r.StorageLimitKiB)
	e.uvarint(r.MessageLimit)
	e.uvarint(r.UsedBytes)
	e.uvarint(r.UsedMessages)
	return e.b
}

// DecodeQuotaRecord decodes a value written by QuotaRecord.Encode.
func DecodeQuotaRecord(b []byte) (QuotaRecord, error) {
	d := decoder{b: b}
	f := d.byte1()
	r := QuotaRecord{StorageLimitKiB: d.uvarint(), MessageLimit: d.uvarint(), UsedBytes: d.uvarint(), UsedMessages: d.uvarint()}
	return r, d.finish(f, formatQuotaV1)
}

// UsedKiB is the STORAGE usage RFC 9208 reports: octets rounded up to
// whole units of 1024.
func (r *QuotaRecord) UsedKiB() uint64 { return (r.UsedBytes + 1023) / 1024 }
