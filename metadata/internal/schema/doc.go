// Package schema owns the Pebble key layout of a metadata node: every key
// prefix, how integers are encoded, how records are encoded, and the schema
// version with its migrations (after etcd's server/storage/schema).
//
// # Key layout
//
// Integers are big-endian so that byte order is numeric order. Every key of
// a user starts with the user's virtual shard (base.ShardOf), so that one
// shard is one contiguous key range [shard, shard+1) that cluster mode can
// stream between nodes:
//
//	[shard u32][table u8][user bytes][0x00][table-specific parts]
//
// User names never contain NUL, so "user 0x00" is an unambiguous prefix:
// the keys of user "bob" never interleave with those of "bob2" in a table.
//
//	table 0x10 user         [shard][0x10][user 0]                   -> UserRecord
//	table 0x11 mailbox name [shard][0x11][user 0][name]             -> mailbox id u64
//	table 0x12 mailbox      [shard][0x12][user 0][mbox u64]          -> MailboxRecord
//	table 0x13 subscription [shard][0x13][user 0][name]             -> empty
//	table 0x14 msg state    [shard][0x14][user 0][mbox u64][uid u32] -> MsgState
//	table 0x15 msg meta     [shard][0x15][user 0][mbox u64][uid u32] -> MessageMeta proto
//	table 0x16 modseq index [shard][0x16][user 0][mbox u64][modseq u64][uid u32] -> empty
//	table 0x17 expunge log  [shard][0x17][user 0][mbox u64][modseq u64][uid u32] -> empty
//	table 0x18 blob index   [shard][0x18][user 0][mbox u64][blob 32 bytes][uid u32] -> empty
//	table 0x19 quota        [shard][0x19][user 0]                   -> QuotaRecord
//	table 0x1A thread       [shard][0x1A][user 0][msgid hash 16 bytes] -> ThreadRecord
//	table 0x1F msg digest   [shard][0x1F][user 0][mbox u64][uid u32] -> search.Digest (derived)
//	table 0x20 annotation   [shard][0x20][user 0]                   -> AnnotationUsage
//	                        [shard][0x20][user 0][mbox u64][entry]  -> annotation value
//	table 0x21 list header  [shard][0x21][user 0][mbox u64][uid u32] -> headerfields.ListHeader (derived)
//	table 0x30 text index   [shard][0x30][user 0][mbox u64][0x00][start u32] -> TextSegment
//	                        [shard][0x30][user 0][mbox u64][0x01][start u32][trigram u32] -> postings
//
// Global keys live after every shard, under the reserved shard value
// 0xFFFFFFFF (so valid shard counts are below MaxShards):
//
//	[0xFFFFFFFF][0x01][name] -> global meta ("version" u32, "shards" u32)
//
// The modseq index holds exactly one entry per live message, keyed by its
// current modseq: "what changed since M" is a range scan from M+1. The
// expunge log keeps (modseq, uid) of every expunged message so CONDSTORE /
// QRESYNC sessions learn of expunges; it is append-only for now.
//
// The blob index holds exactly one entry per live message, keyed by its
// body's SHA-256 (the blob id, raw): "is this body already in this
// mailbox, and under which UID" is a prefix scan of (mbox, blob). Every
// command that writes or removes a message's meta (append, copy, move,
// expunge, INBOX rename, mailbox and user deletion) maintains it in the
// same batch. It serves Append's skip_duplicate (idempotent import and
// redelivery). Schema version 2 added it; the migration from 1 builds it
// from the message meta table.
//
// The quota record holds the user's RFC 9208 limits (0 = unlimited) and
// usage: the sum of the sizes and the count of every live message of every
// mailbox of the user. Every command that adds or removes messages (append,
// copy, move, expunge, mailbox deletion) updates it in the same batch, so
// usage always equals the sum of the mailbox records' Size and Messages.
// Schema version 3 added it; the migration from 2 computes it from the
// mailbox records of every user.
//
// The thread table maps the Message-IDs a user's messages carried or
// referenced (hashed: SHA-256, first 16 bytes, so keys stay short whatever
// a header says) to the RFC 8474 THREADID they were given (package
// objectid). An entry is written once, by the APPEND that first mentions
// the id, and never changed or removed while the user exists: the table is
// the memory that keeps THREADIDs stable (a message appended again gets
// the THREADID of its EMAILID, a late parent joins its replies' thread),
// like the UIDVALIDITY seed. It grows with at most 2+objectid.MaxRefs
// entries of a few dozen octets per message appended and is removed with
// the user. Schema version 4 added it, the user record's object key and
// the email_id/thread_id of message meta; the migration from 3 assigns
// them to existing users and messages.
//
// The annotation table holds RFC 5464 METADATA entries: per mailbox id
// (so they follow RENAME), and under mailbox id 0 (never a mailbox: ids
// start at 1) the user's server annotations. Entry names are canonical
// (lower-case, "/private/..." or "/shared/..."), so the keys of one
// mailbox sort by name and a DEPTH lookup is a prefix scan. The key that
// is the bare user prefix holds the user's AnnotationUsage (count and
// octets of every entry), updated in the batch of every change, which
// bounds what one user can store. Mailbox deletion removes the mailbox's
// entries in its batch. A new table needs no migration: an older store
// simply has no annotations.
//
// Tables from 0x30 on are derived data (DerivedTables): everything in
// them can be recomputed from the tables above, so they are not part of a
// user's export or checksum, need no migration (a store without them has
// no index yet; a newer table this code does not know is ignored), and a
// reader must treat a missing or undecodable entry as "not indexed",
// never as "no match". The text index (textindex.go) holds trigram
// postings of message text in segments of consecutive UIDs, written by
// the node's background indexer in one batch per segment; mailbox and
// user deletion drop it in their batch.
//
// # Records
//
// Records are encoded with a leading format byte followed by uvarints and
// length-prefixed strings (codec.go), except message meta, which is the
// metadatapb.MessageMeta protobuf as sent by the frontend. Decoders reject
// truncated or trailing bytes with ErrCorrupt.
//
// # Versions
//
// The global "version" key holds the schema version. Open code calls
// Migrate, which runs the registered migration of every version between the
// stored one and Version in order, and refuses a store written by a newer
// version.
package schema
