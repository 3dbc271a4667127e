package wire

import (
	"time"

	"github.com/emersion/go-imap/v2"
)

// Command is one client command, parsed (RFC 9051 §6, ABNF in §9).
//
// Name is the canonical upper-case command name without the UID prefix
// ("FETCH", "UID FETCH" has Name "FETCH" and UID true). Args holds one of
// the *XxxArgs types below, or nil for commands without arguments
// (CAPABILITY, NOOP, LOGOUT, STARTTLS, CHECK, CLOSE, UNSELECT, EXPUNGE,
// IDLE, NAMESPACE, UNAUTHENTICATE).
//
// APPEND is special: its message literals are streamed, not parsed into
// Args. ReadCommand returns it with *AppendArgs holding the mailbox only;
// the caller then calls Decoder.ReadAppendMessage until it returns nil.
type Command struct {
	Tag  string
	Name string
	UID  bool
	Args any
}

// IDArgs is ID (RFC 2971): key/value pairs, or nil for "ID NIL". A value of
// NIL is represented as nil.
type IDArgs struct {
	Params []IDParam
}

type IDParam struct {
	Key   string
	Value *string
}

// LoginArgs is LOGIN user password (RFC 9051 §6.2.3).
type LoginArgs struct {
	Username, Password string
}

// AuthenticateArgs is AUTHENTICATE mechanism [initial-response]
// (RFC 9051 §6.2.2, RFC 4959). InitialResponse is the decoded SASL-IR; HasIR
// tells "no initial response" from an empty one ("=").
type AuthenticateArgs struct {
	Mechanism       string // upper-case
	InitialResponse []byte
	HasIR           bool
}

// EnableArgs is ENABLE capability... (RFC 5161). Capabilities upper-case.
type EnableArgs struct {
	Caps []string
}

// SelectArgs is SELECT or EXAMINE (Command.Name tells which) with optional
// parameters (RFC 7162 §3.1.8 CONDSTORE, §3.2.5 QRESYNC).
type SelectArgs struct {
	Mailbox   string // raw mailbox name as sent (see DecodeMailboxName)
	CondStore bool
	QResync   *QResyncParams
}

// QResyncParams is the QRESYNC select parameter (RFC 7162 §3.2.5).
type QResyncParams struct {
	UIDValidity uint32
	ModSeq      uint64
	KnownUIDs   imap.UIDSet // nil if absent
	SeqMatch    *SeqMatch   // nil if absent
}

// SeqMatch is the seq-match-data of QRESYNC: known sequence numbers and the
// UIDs the client has for them.
type SeqMatch struct {
	Seqs imap.SeqSet
	UIDs imap.UIDSet
}

// MailboxArgs is the single mailbox argument of DELETE, SUBSCRIBE,
// UNSUBSCRIBE.
type MailboxArgs struct {
	Mailbox string
}

// CreateArgs is CREATE mailbox [(USE (attrs))] (RFC 6154 §3).
type CreateArgs struct {
	Mailbox    string
	SpecialUse []string // e.g. "\\Sent"
}

// RenameArgs is RENAME from to.
type RenameArgs struct {
	From, To string
}

// ListArgs is LIST with the LIST-EXTENDED syntax (RFC 5258 §3) or LSUB
// (Command.Name tells which; LSUB has no options).
type ListArgs struct {
	// Selection options, upper-case: SUBSCRIBED, REMOTE, RECURSIVEMATCH,
	// SPECIAL-USE.
	Selection []string
	Reference string
	Patterns  []string // one or more mailbox patterns, raw
	// Return options.
	ReturnSubscribed bool
	ReturnChildren   bool
	ReturnSpecialUse bool
	ReturnStatus     []string // STATUS items, upper-case; nil if absent
	ReturnMyRights   bool
	// ReturnMetadata is the METADATA return option (RFC 9590), nil if
	// absent (wire/metadata.go).
	ReturnMetadata *MetadataRequest
}

// StatusArgs is STATUS mailbox (items) (RFC 9051 §6.3.11). Items are
// upper-case: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, DELETED, SIZE, RECENT,
// HIGHESTMODSEQ, APPENDLIMIT, MAILBOXID.
type StatusArgs struct {
	Mailbox string
	Items   []string
}

// AppendArgs is the fixed part of APPEND: the destination mailbox. The
// messages follow through Decoder.ReadAppendMessage.
type AppendArgs struct {
	Mailbox string
}

// AppendMessage is one message of an APPEND (RFC 9051 §6.3.12, MULTIAPPEND
// RFC 3502). Body streams the literal: for a synchronising literal the
// decoder sends the continuation request on the first Read. The caller must
// read Body to EOF, or call Decoder.SkipCommand, before reading anything else.
type AppendMessage struct {
	Flags []string
	Date  time.Time // zero if absent
	Size  int64
	// Binary is true for a literal8 ("~{n}", RFC 3516): the message may hold
	// NUL octets.
	Binary bool
	Body   interface{ Read([]byte) (int, error) }
	// Catenate is true for a CATENATE message (RFC 4469): Size, Binary
	// and Body are unset, and the caller reads the parts with
	// Decoder.ReadCatPart until it returns nil.
	Catenate bool
	// UTF8 is true for the UTF8 data extension, "UTF8 (~{n}...)" (RFC 6855
	// §4): the client says the header may hold UTF-8. The session refuses
	// it unless UTF8=ACCEPT is enabled.
	UTF8 bool
}

// NumSetArgs is the sequence set of UID EXPUNGE (RFC 4315 §2.1).
type NumSetArgs struct {
	Set imap.NumSet // imap.SeqSet, or imap.UIDSet when Command.UID
}

// SearchArgs is SEARCH (RFC 9051 §6.4.4, ESEARCH return options RFC 4731,
// SEARCHRES RFC 5182).
type SearchArgs struct {
	// Return options, upper-case: MIN, MAX, ALL, COUNT, SAVE. HasReturn is
	// true if "RETURN (...)" was present, even if empty (ESEARCH response).
	Return    []string
	HasReturn bool
	Charset   string // as sent, "" if absent
	Key       *SearchKey
}

// SearchOp is the kind of one search key.
type SearchOp int

const (
	SearchAll        SearchOp = iota
	SearchAnd                 // all Children match (a parenthesised list, or the top level)
	SearchOr                  // Children[0] or Children[1]
	SearchNot                 // Children[0] does not match
	SearchSeqSet              // Set (imap.SeqSet); "$" is SearchSaved instead
	SearchUIDSet              // Set (imap.UIDSet)
	SearchSaved               // $ or UID $: the saved result (RFC 5182)
	SearchFlag                // message has Flag (system flag or keyword)
	SearchRecent              // \Recent (session-relative)
	SearchHeader              // Field contains Value (FROM, TO, CC, BCC, SUBJECT, HEADER)
	SearchBody                // Value in decoded body
	SearchText                // Value in header or decoded body
	SearchBefore              // internal date < Date (date only)
	SearchOn                  // internal date == Date
	SearchSince               // internal date >= Date
	SearchSentBefore          // Date: header
	SearchSentOn
	SearchSentSince
	SearchSavedBefore // SAVEDATE (RFC 8514)
	SearchSavedOn
	SearchSavedSince
	SearchLarger  // RFC822.SIZE > Number
	SearchSmaller // RFC822.SIZE < Number
	SearchModSeq  // MODSEQ >= Number (RFC 7162 §3.1.5)
	SearchOlder   // WITHIN: internal date older than Number seconds (RFC 5032)
	SearchYounger
	SearchEmailID  // EMAILID Value (RFC 8474 §6), an objectid
	SearchThreadID // THREADID Value (RFC 8474 §6), an objectid
)

// SearchKey is one node of a search criteria tree. The top level of a
// SEARCH is always a SearchAnd of the keys as sent. The decoder normalises
// the RFC's aliases: ANSWERED → Flag \Answered, UNANSWERED → Not(Flag
// \Answered), KEYWORD k → Flag k, NEW → And(Recent, Not(Flag \Seen)),
// OLD → Not(Recent), FROM x → Header From x, etc.
type SearchKey struct {
	Op       SearchOp
	Children []*SearchKey
	Set      imap.NumSet
	Flag     string
	Field    string // canonical header name for SearchHeader ("From", "Subject", or as sent for HEADER)
	Value    string
	Date     time.Time // midnight UTC of the calendar date
	Number   uint64
}

// FetchArgs is FETCH (RFC 9051 §6.4.5) with modifiers (RFC 7162).
type FetchArgs struct {
	Set   imap.NumSet
	Items []FetchItem // macros (ALL, FAST, FULL) expanded, in request order
	// Modifiers.
	ChangedSince    uint64
	HasChangedSince bool
	Vanished        bool
}

// FetchItem is one requested data item.
type FetchItem struct {
	// Name is upper-case: FLAGS, UID, ENVELOPE, BODYSTRUCTURE, BODY (the
	// non-extended structure), INTERNALDATE, RFC822.SIZE, RFC822,
	// RFC822.HEADER, RFC822.TEXT, BODY[] (any section form, see Section),
	// BINARY[], BINARY.SIZE[], MODSEQ, SAVEDATE, PREVIEW, EMAILID, THREADID.
	// Section forms have Name "BODY[]", "BINARY[]" or "BINARY.SIZE[]".
	Name    string
	Section *Section // for BODY[], BINARY[], BINARY.SIZE[]
	Peek    bool     // BODY.PEEK / BINARY.PEEK
	Partial *Partial // <offset.count>, nil if absent
	// Lazy is PREVIEW (LAZY) (RFC 8970 §3.1): the server may answer NIL
	// rather than compute a preview now.
	Lazy bool
}

// Section is a body section spec (RFC 9051 §6.4.5).
type Section struct {
	Part      []int    // 1.2.3; empty for the whole message
	Specifier string   // "", HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME
	Fields    []string // for HEADER.FIELDS[.NOT], as sent
}

// Partial is the <offset.count> of a section fetch.
type Partial struct {
	Offset, Count int64
}

// StoreArgs is STORE (RFC 9051 §6.4.6) with UNCHANGEDSINCE (RFC 7162).
type StoreArgs struct {
	Set    imap.NumSet
	Op     StoreOp
	Silent bool
	Flags  []string
	// UNCHANGEDSINCE modifier.
	UnchangedSince    uint64
	HasUnchangedSince bool
}

// StoreOp is how STORE changes flags.
type StoreOp int

const (
	StoreReplace StoreOp = iota // FLAGS
	StoreAdd                    // +FLAGS
	StoreRemove                 // -FLAGS
)

// CopyArgs is COPY or MOVE (Command.Name tells which; RFC 6851).
type CopyArgs struct {
	Set     imap.NumSet
	Mailbox string
}
