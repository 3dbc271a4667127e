package wire

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func strp(s string) *string { return &s }

// commandCases maps raw command lines to the parsed command. conts is the
// number of continuation requests the decoder must send.
var commandCases = []struct {
	name  string
	in    string
	want  *Command
	conts int
}{
	// Commands without arguments, any case.
	{"capability", "a CAPABILITY\r\n", &Command{Tag: "a", Name: "CAPABILITY"}, 0},
	{"noop lower", "a1 noop\r\n", &Command{Tag: "a1", Name: "NOOP"}, 0},
	{"logout", "x.y LOGOUT\r\n", &Command{Tag: "x.y", Name: "LOGOUT"}, 0},
	{"starttls", "t StartTLS\r\n", &Command{Tag: "t", Name: "STARTTLS"}, 0},
	{"check", "t CHECK\r\n", &Command{Tag: "t", Name: "CHECK"}, 0},
	{"close", "t CLOSE\r\n", &Command{Tag: "t", Name: "CLOSE"}, 0},
	{"unselect", "t UNSELECT\r\n", &Command{Tag: "t", Name: "UNSELECT"}, 0},
	{"expunge", "t EXPUNGE\r\n", &Command{Tag: "t", Name: "EXPUNGE"}, 0},
	{"idle", "t IDLE\r\n", &Command{Tag: "t", Name: "IDLE"}, 0},
	{"namespace", "t NAMESPACE\r\n", &Command{Tag: "t", Name: "NAMESPACE"}, 0},
	{"unauthenticate", "t UNAUTHENTICATE\r\n", &Command{Tag: "t", Name: "UNAUTHENTICATE"}, 0},
	{"bare LF", "t NOOP\n", &Command{Tag: "t", Name: "NOOP"}, 0},
	{"tag with ]", "a]1 NOOP\r\n", &Command{Tag: "a]1", Name: "NOOP"}, 0},
	{"empty lines skipped", "\r\n\r\nt NOOP\r\n", &Command{Tag: "t", Name: "NOOP"}, 0},

	// ID (RFC 2971).
	{"id nil", "i ID NIL\r\n", &Command{Tag: "i", Name: "ID", Args: &IDArgs{}}, 0},
	{"id pairs", `i ID ("name" "Thunderbird" "version" NIL)` + "\r\n", &Command{Tag: "i", Name: "ID", Args: &IDArgs{Params: []IDParam{
		{Key: "name", Value: strp("Thunderbird")}, {Key: "version", Value: nil}}}}, 0},
	{"id empty list", "i ID ()\r\n", &Command{Tag: "i", Name: "ID", Args: &IDArgs{Params: []IDParam{}}}, 0},

	// LOGIN / AUTHENTICATE / ENABLE.
	{"login atoms", "a LOGIN bob secret\r\n", &Command{Tag: "a", Name: "LOGIN", Args: &LoginArgs{Username: "bob", Password: "secret"}}, 0},
	{"login quoted escapes", `a LOGIN "bob smith" "p\"a\\ss"` + "\r\n", &Command{Tag: "a", Name: "LOGIN", Args: &LoginArgs{Username: "bob smith", Password: `p"a\ss`}}, 0},
	{"login utf8 quoted", "a LOGIN \"jos\u00e9\" x]\r\n", &Command{Tag: "a", Name: "LOGIN", Args: &LoginArgs{Username: "jos\u00e9", Password: "x]"}}, 0},
	{"login sync literals", "a LOGIN {3}\r\nbob {6}\r\nse cr\"\r\n", &Command{Tag: "a", Name: "LOGIN", Args: &LoginArgs{Username: "bob", Password: "se cr\""}}, 2},
	{"login nonsync literal", "a LOGIN bob {4+}\r\n\r\n\r\n\r\n", &Command{Tag: "a", Name: "LOGIN", Args: &LoginArgs{Username: "bob", Password: "\r\n\r\n"}}, 0},
	{"login empty literal", "a LOGIN {0}\r\n \"\"\r\n", &Command{Tag: "a", Name: "LOGIN", Args: &LoginArgs{Username: "", Password: ""}}, 1},
	{"authenticate", "a AUTHENTICATE plain\r\n", &Command{Tag: "a", Name: "AUTHENTICATE", Args: &AuthenticateArgs{Mechanism: "PLAIN"}}, 0},
	{"authenticate ir", "a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n", &Command{Tag: "a", Name: "AUTHENTICATE", Args: &AuthenticateArgs{
		Mechanism: "PLAIN", InitialResponse: []byte("\x00bob\x00secret"), HasIR: true}}, 0},
	{"authenticate empty ir", "a AUTHENTICATE EXTERNAL =\r\n", &Command{Tag: "a", Name: "AUTHENTICATE", Args: &AuthenticateArgs{
		Mechanism: "EXTERNAL", InitialResponse: []byte{}, HasIR: true}}, 0},
	{"enable", "e ENABLE condstore QRESYNC IMAP4rev2\r\n", &Command{Tag: "e", Name: "ENABLE", Args: &EnableArgs{Caps: []string{"CONDSTORE", "QRESYNC", "IMAP4REV2"}}}, 0},

	// SELECT / EXAMINE (RFC 7162).
	{"select", "s SELECT INBOX\r\n", &Command{Tag: "s", Name: "SELECT", Args: &SelectArgs{Mailbox: "INBOX"}}, 0},
	{"examine quoted", `s EXAMINE "a b"` + "\r\n", &Command{Tag: "s", Name: "EXAMINE", Args: &SelectArgs{Mailbox: "a b"}}, 0},
	{"select raw mutf7", "s SELECT &AOk-t&AOk-\r\n", &Command{Tag: "s", Name: "SELECT", Args: &SelectArgs{Mailbox: "&AOk-t&AOk-"}}, 0},
	{"select condstore", "s SELECT INBOX (CONDSTORE)\r\n", &Command{Tag: "s", Name: "SELECT", Args: &SelectArgs{Mailbox: "INBOX", CondStore: true}}, 0},
	{"select qresync min", "s SELECT INBOX (QRESYNC (67890007 20050715194045000))\r\n", &Command{Tag: "s", Name: "SELECT", Args: &SelectArgs{
		Mailbox: "INBOX", QResync: &QResyncParams{UIDValidity: 67890007, ModSeq: 20050715194045000}}}, 0},
	{"select qresync known uids", "s SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))\r\n", &Command{Tag: "s", Name: "SELECT", Args: &SelectArgs{
		Mailbox: "INBOX", QResync: &QResyncParams{UIDValidity: 67890007, ModSeq: 90060115194045000, KnownUIDs: uids(ur(41, 211), ur(214, 541))}}}, 0},
	{"select qresync full", "s SELECT M (CONDSTORE QRESYNC (1 2 1:100 (1,5,9 10,50,90)))\r\n", &Command{Tag: "s", Name: "SELECT", Args: &SelectArgs{
		Mailbox: "M", CondStore: true, QResync: &QResyncParams{UIDValidity: 1, ModSeq: 2, KnownUIDs: uids(ur(1, 100)),
			SeqMatch: &SeqMatch{Seqs: seqs(sr(1, 1), sr(5, 5), sr(9, 9)), UIDs: uids(ur(10, 10), ur(50, 50), ur(90, 90))}}}}, 0},
	{"select qresync seqmatch only", "s SELECT M (QRESYNC (1 2 (1:2 3:4)))\r\n", &Command{Tag: "s", Name: "SELECT", Args: &SelectArgs{
		Mailbox: "M", QResync: &QResyncParams{UIDValidity: 1, ModSeq: 2,
			SeqMatch: &SeqMatch{Seqs: seqs(sr(1, 2)), UIDs: uids(ur(3, 4))}}}}, 0},

	// Mailbox management.
	{"create", "c CREATE foo/bar\r\n", &Command{Tag: "c", Name: "CREATE", Args: &CreateArgs{Mailbox: "foo/bar"}}, 0},
	{"create use", `c CREATE "Sent Items" (USE (\sent \Archive \X-Custom))` + "\r\n", &Command{Tag: "c", Name: "CREATE", Args: &CreateArgs{
		Mailbox: "Sent Items", SpecialUse: []string{`\Sent`, `\Archive`, `\X-Custom`}}}, 0},
	{"delete", "d DELETE foo\r\n", &Command{Tag: "d", Name: "DELETE", Args: &MailboxArgs{Mailbox: "foo"}}, 0},
	{"subscribe", "d SUBSCRIBE {3}\r\nfoo\r\n", &Command{Tag: "d", Name: "SUBSCRIBE", Args: &MailboxArgs{Mailbox: "foo"}}, 1},
	{"unsubscribe", "d UNSUBSCRIBE inbox\r\n", &Command{Tag: "d", Name: "UNSUBSCRIBE", Args: &MailboxArgs{Mailbox: "inbox"}}, 0},
	{"rename", `r RENAME a "b c"` + "\r\n", &Command{Tag: "r", Name: "RENAME", Args: &RenameArgs{From: "a", To: "b c"}}, 0},
	{"status", "s STATUS INBOX (messages UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ APPENDLIMIT MAILBOXID)\r\n", &Command{Tag: "s", Name: "STATUS", Args: &StatusArgs{
		Mailbox: "INBOX", Items: []string{"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ", "APPENDLIMIT", "MAILBOXID"}}}, 0},

	// LIST / LSUB (RFC 5258, 5819, 6154).
	{"list basic", `l LIST "" *` + "\r\n", &Command{Tag: "l", Name: "LIST", Args: &ListArgs{Reference: "", Patterns: []string{"*"}}}, 0},
	{"list wildcards", "l LIST ~/Mail/ %/foo*]\r\n", &Command{Tag: "l", Name: "LIST", Args: &ListArgs{Reference: "~/Mail/", Patterns: []string{"%/foo*]"}}}, 0},
	{"list extended", `l LIST (SUBSCRIBED RECURSIVEMATCH remote) "" ("INBOX" %/x) RETURN (CHILDREN SUBSCRIBED SPECIAL-USE MYRIGHTS STATUS (MESSAGES UNSEEN))` + "\r\n",
		&Command{Tag: "l", Name: "LIST", Args: &ListArgs{Selection: []string{"SUBSCRIBED", "RECURSIVEMATCH", "REMOTE"}, Reference: "",
			Patterns: []string{"INBOX", "%/x"}, ReturnChildren: true, ReturnSubscribed: true, ReturnSpecialUse: true, ReturnMyRights: true,
			ReturnStatus: []string{"MESSAGES", "UNSEEN"}}}, 0},
	{"list special-use selection", `l LIST (SPECIAL-USE) "" *` + "\r\n", &Command{Tag: "l", Name: "LIST", Args: &ListArgs{
		Selection: []string{"SPECIAL-USE"}, Patterns: []string{"*"}}}, 0},
	{"list empty selection and return", `l LIST () "" % RETURN ()` + "\r\n", &Command{Tag: "l", Name: "LIST", Args: &ListArgs{
		Selection: []string{}, Patterns: []string{"%"}}}, 0},
	{"lsub", `l LSUB "#news." "comp.mail.*"` + "\r\n", &Command{Tag: "l", Name: "LSUB", Args: &ListArgs{Reference: "#news.", Patterns: []string{"comp.mail.*"}}}, 0},

	// APPEND stops after the mailbox (messages: append_test.go); the
	// follow-up ReadCommand skips the unread message.
	{"append", "a APPEND \"Drafts\" (\\Draft) {3+}\r\nabc\r\n", &Command{Tag: "a", Name: "APPEND", Args: &AppendArgs{Mailbox: "Drafts"}}, 0},

	// COPY / MOVE / UID EXPUNGE.
	{"copy", "c COPY 2:4 MEETING\r\n", &Command{Tag: "c", Name: "COPY", Args: &CopyArgs{Set: seqs(sr(2, 4)), Mailbox: "MEETING"}}, 0},
	{"uid copy", "c UID COPY 4827313:4828442 Archive\r\n", &Command{Tag: "c", Name: "COPY", UID: true, Args: &CopyArgs{Set: uids(ur(4827313, 4828442)), Mailbox: "Archive"}}, 0},
	{"move", "c MOVE 1,3 Trash\r\n", &Command{Tag: "c", Name: "MOVE", Args: &CopyArgs{Set: seqs(sr(1, 1), sr(3, 3)), Mailbox: "Trash"}}, 0},
	{"uid move star", "c uid move 5:* Trash\r\n", &Command{Tag: "c", Name: "MOVE", UID: true, Args: &CopyArgs{Set: uids(ur(5, 0)), Mailbox: "Trash"}}, 0},
	{"uid expunge", "c UID EXPUNGE 3000:3002\r\n", &Command{Tag: "c", Name: "EXPUNGE", UID: true, Args: &NumSetArgs{Set: uids(ur(3000, 3002))}}, 0},

	// Sequence sets.
	{"seq reversed range", "f FETCH 5:2 UID\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(2, 5)), Items: []FetchItem{item("UID")}}}, 0},
	{"seq star first", "f FETCH *:7 UID\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(7, 0)), Items: []FetchItem{item("UID")}}}, 0},
	{"seq star", "f FETCH * UID\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(0, 0)), Items: []FetchItem{item("UID")}}}, 0},
	{"seq merge", "f FETCH 1,2,3,10:12,11 UID\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 3), sr(10, 12)), Items: []FetchItem{item("UID")}}}, 0},

	// FETCH items and macros.
	{"fetch all", "f FETCH 1 ALL\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
		item("FLAGS"), item("INTERNALDATE"), item("RFC822.SIZE"), item("ENVELOPE")}}}, 0},
	{"fetch fast", "f FETCH 1 fast\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
		item("FLAGS"), item("INTERNALDATE"), item("RFC822.SIZE")}}}, 0},
	{"fetch full", "f FETCH 1 FULL\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
		item("FLAGS"), item("INTERNALDATE"), item("RFC822.SIZE"), item("ENVELOPE"), item("BODY")}}}, 0},
	{"fetch simple items", "f FETCH 1 (envelope FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE UID MODSEQ SAVEDATE EMAILID THREADID PREVIEW)\r\n",
		&Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
			item("ENVELOPE"), item("FLAGS"), item("INTERNALDATE"), item("RFC822"), item("RFC822.HEADER"), item("RFC822.SIZE"),
			item("RFC822.TEXT"), item("BODY"), item("BODYSTRUCTURE"), item("UID"), item("MODSEQ"), item("SAVEDATE"),
			item("EMAILID"), item("THREADID"), item("PREVIEW")}}}, 0},
	{"fetch preview lazy", "f FETCH 1 (PREVIEW (LAZY) UID)\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
		{Name: "PREVIEW", Lazy: true}, item("UID")}}}, 0},
	{"fetch preview lazy top level", "f FETCH 1 PREVIEW (lazy)\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
		{Name: "PREVIEW", Lazy: true}}}}, 0},
	{"fetch preview then modifier", "f UID FETCH 1 PREVIEW (CHANGEDSINCE 3)\r\n", &Command{Tag: "f", Name: "FETCH", UID: true, Args: &FetchArgs{Set: uids(ur(1, 1)), Items: []FetchItem{
		item("PREVIEW")}, ChangedSince: 3, HasChangedSince: true}}, 0},
	{"fetch body sections", "f FETCH 1 (BODY[] BODY[HEADER] BODY.PEEK[TEXT] BODY[1.2.3] BODY[1.2.MIME] BODY[4.TEXT] BODY[4.HEADER] BODY[]<0.2048>)\r\n",
		&Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
			sec("BODY[]", false, &Section{}, nil),
			sec("BODY[]", false, &Section{Specifier: "HEADER"}, nil),
			sec("BODY[]", true, &Section{Specifier: "TEXT"}, nil),
			sec("BODY[]", false, &Section{Part: []int{1, 2, 3}}, nil),
			sec("BODY[]", false, &Section{Part: []int{1, 2}, Specifier: "MIME"}, nil),
			sec("BODY[]", false, &Section{Part: []int{4}, Specifier: "TEXT"}, nil),
			sec("BODY[]", false, &Section{Part: []int{4}, Specifier: "HEADER"}, nil),
			sec("BODY[]", false, &Section{}, &Partial{Offset: 0, Count: 2048}),
		}}}, 0},
	{"fetch header fields", `f FETCH 1 (BODY.PEEK[HEADER.FIELDS (From "To" {6}` + "\r\nX-Spam)] body[2.header.fields.not (Subject)]<10.20>)\r\n",
		&Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
			sec("BODY[]", true, &Section{Specifier: "HEADER.FIELDS", Fields: []string{"From", "To", "X-Spam"}}, nil),
			sec("BODY[]", false, &Section{Part: []int{2}, Specifier: "HEADER.FIELDS.NOT", Fields: []string{"Subject"}}, &Partial{Offset: 10, Count: 20}),
		}}}, 1},
	{"fetch binary", "f FETCH 1 (BINARY[] BINARY.PEEK[1.2]<5.10> BINARY.SIZE[3] BINARY.SIZE[])\r\n",
		&Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 1)), Items: []FetchItem{
			sec("BINARY[]", false, &Section{}, nil),
			sec("BINARY[]", true, &Section{Part: []int{1, 2}}, &Partial{Offset: 5, Count: 10}),
			sec("BINARY.SIZE[]", false, &Section{Part: []int{3}}, nil),
			sec("BINARY.SIZE[]", false, &Section{}, nil),
		}}}, 0},
	{"fetch single section", "f FETCH 1:* BODY.PEEK[]\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: seqs(sr(1, 0)), Items: []FetchItem{
		sec("BODY[]", true, &Section{}, nil)}}}, 0},
	{"uid fetch changedsince vanished", "f UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n", &Command{Tag: "f", Name: "FETCH", UID: true, Args: &FetchArgs{
		Set: uids(ur(300, 500)), Items: []FetchItem{item("FLAGS")}, ChangedSince: 12345, HasChangedSince: true, Vanished: true}}, 0},
	{"fetch changedsince", "f FETCH 1:* (UID FLAGS) (changedsince 7)\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{
		Set: seqs(sr(1, 0)), Items: []FetchItem{item("UID"), item("FLAGS")}, ChangedSince: 7, HasChangedSince: true}}, 0},
	{"fetch searchres", "f FETCH $ FLAGS\r\n", &Command{Tag: "f", Name: "FETCH", Args: &FetchArgs{Set: imap.SearchRes(), Items: []FetchItem{item("FLAGS")}}}, 0},

	// STORE.
	{"store replace list", `s STORE 2:4 FLAGS (\Deleted \seen $Label1)` + "\r\n", &Command{Tag: "s", Name: "STORE", Args: &StoreArgs{
		Set: seqs(sr(2, 4)), Op: StoreReplace, Flags: []string{`\Deleted`, `\Seen`, "$Label1"}}}, 0},
	{"store add silent single", `s STORE 1 +FLAGS.SILENT \Flagged` + "\r\n", &Command{Tag: "s", Name: "STORE", Args: &StoreArgs{
		Set: seqs(sr(1, 1)), Op: StoreAdd, Silent: true, Flags: []string{`\Flagged`}}}, 0},
	{"store remove several", `s UID STORE 1:* -flags \Seen foo bar` + "\r\n", &Command{Tag: "s", Name: "STORE", UID: true, Args: &StoreArgs{
		Set: uids(ur(1, 0)), Op: StoreRemove, Flags: []string{`\Seen`, "foo", "bar"}}}, 0},
	{"store remove silent", `s STORE 3 -FLAGS.SILENT (\Answered)` + "\r\n", &Command{Tag: "s", Name: "STORE", Args: &StoreArgs{
		Set: seqs(sr(3, 3)), Op: StoreRemove, Silent: true, Flags: []string{`\Answered`}}}, 0},
	{"store add", `s STORE 3 +FLAGS (\Answered)` + "\r\n", &Command{Tag: "s", Name: "STORE", Args: &StoreArgs{
		Set: seqs(sr(3, 3)), Op: StoreAdd, Flags: []string{`\Answered`}}}, 0},
	{"store empty list", "s STORE 1 FLAGS ()\r\n", &Command{Tag: "s", Name: "STORE", Args: &StoreArgs{
		Set: seqs(sr(1, 1)), Op: StoreReplace, Flags: []string{}}}, 0},
	{"store unchangedsince", `s STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\Deleted)` + "\r\n", &Command{Tag: "s", Name: "STORE", Args: &StoreArgs{
		Set: seqs(sr(5, 5), sr(7, 7), sr(9, 9)), Op: StoreAdd, Silent: true, Flags: []string{`\Deleted`}, UnchangedSince: 320162338, HasUnchangedSince: true}}, 0},
	{"store unchangedsince zero", `s STORE 1 (UNCHANGEDSINCE 0) FLAGS.SILENT ()` + "\r\n", &Command{Tag: "s", Name: "STORE", Args: &StoreArgs{
		Set: seqs(sr(1, 1)), Silent: true, Flags: []string{}, HasUnchangedSince: true}}, 0},

	// SEARCH: every key.
	{"search all", "s SEARCH ALL\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(kOp(SearchAll))}, 0},
	{"search flags", "s SEARCH ANSWERED DELETED DRAFT FLAGGED SEEN\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kFlag(`\Answered`), kFlag(`\Deleted`), kFlag(`\Draft`), kFlag(`\Flagged`), kFlag(`\Seen`))}, 0},
	{"search unflags", "s SEARCH unanswered UNDELETED UNDRAFT UNFLAGGED UNSEEN\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kNot(kFlag(`\Answered`)), kNot(kFlag(`\Deleted`)), kNot(kFlag(`\Draft`)), kNot(kFlag(`\Flagged`)), kNot(kFlag(`\Seen`)))}, 0},
	{"search keywords", "s SEARCH KEYWORD $Junk UNKEYWORD foo\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kFlag("$Junk"), kNot(kFlag("foo")))}, 0},
	{"search recent new old", "s SEARCH RECENT NEW OLD\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kOp(SearchRecent), kAnd(kOp(SearchRecent), kNot(kFlag(`\Seen`))), kNot(kOp(SearchRecent)))}, 0},
	{"search headers", `s SEARCH FROM smith TO "a b" CC c BCC d SUBJECT {5}` + "\r\nhello HEADER X-Mailer \"\"\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kHdr("From", "smith"), kHdr("To", "a b"), kHdr("Cc", "c"), kHdr("Bcc", "d"), kHdr("Subject", "hello"), kHdr("X-Mailer", ""))}, 1},
	{"search body text", `s SEARCH BODY "x y" TEXT z` + "\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		&SearchKey{Op: SearchBody, Value: "x y"}, &SearchKey{Op: SearchText, Value: "z"})}, 0},
	{"search dates", `s SEARCH BEFORE 1-Feb-1994 ON "01-feb-1994" SINCE 29-Feb-2024 SENTBEFORE 2-Mar-2000 SENTON 3-Apr-2001 SENTSINCE 4-MAY-2002` + "\r\n",
		&Command{Tag: "s", Name: "SEARCH", Args: search(
			kDate(SearchBefore, day(1994, 2, 1)), kDate(SearchOn, day(1994, 2, 1)), kDate(SearchSince, day(2024, 2, 29)),
			kDate(SearchSentBefore, day(2000, 3, 2)), kDate(SearchSentOn, day(2001, 4, 3)), kDate(SearchSentSince, day(2002, 5, 4)))}, 0},
	{"search savedate", "s SEARCH SAVEDBEFORE 1-Jan-2020 SAVEDON 2-Jan-2020 SAVEDSINCE 3-Jan-2020 SAVEDATESUPPORTED\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kDate(SearchSavedBefore, day(2020, 1, 1)), kDate(SearchSavedOn, day(2020, 1, 2)), kDate(SearchSavedSince, day(2020, 1, 3)), kOp(SearchAll))}, 0},
	{"search sizes within", "s SEARCH LARGER 100 SMALLER 5000000000 OLDER 3600 YOUNGER 60\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kNum(SearchLarger, 100), kNum(SearchSmaller, 5000000000), kNum(SearchOlder, 3600), kNum(SearchYounger, 60))}, 0},
	{"search not or nested", "s SEARCH NOT (SEEN OR FROM a (TO b NOT CC c)) OR OR 1 2 3\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kNot(kAnd(kFlag(`\Seen`), kOr(kHdr("From", "a"), kAnd(kHdr("To", "b"), kNot(kHdr("Cc", "c")))))),
		kOr(kOr(&SearchKey{Op: SearchSeqSet, Set: seqs(sr(1, 1))}, &SearchKey{Op: SearchSeqSet, Set: seqs(sr(2, 2))}),
			&SearchKey{Op: SearchSeqSet, Set: seqs(sr(3, 3))}))}, 0},
	{"search sets", "s SEARCH 1:3,*:9 UID 5:* $ UID $\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		&SearchKey{Op: SearchSeqSet, Set: seqs(sr(1, 3), sr(9, 0))}, &SearchKey{Op: SearchUIDSet, Set: uids(ur(5, 0))},
		kOp(SearchSaved), kOp(SearchSaved))}, 0},
	{"search modseq", `s SEARCH MODSEQ 620162338 MODSEQ "/flags/\\draft" all 620162339` + "\r\n", &Command{Tag: "s", Name: "SEARCH", Args: search(
		kNum(SearchModSeq, 620162338), kNum(SearchModSeq, 620162339))}, 0},
	{"search return charset", "s UID SEARCH RETURN (MIN MAX ALL COUNT SAVE) CHARSET \"UTF-8\" TEXT \"caf\u00e9\"\r\n", &Command{Tag: "s", Name: "SEARCH", UID: true, Args: &SearchArgs{
		Return: []string{"MIN", "MAX", "ALL", "COUNT", "SAVE"}, HasReturn: true, Charset: "UTF-8", Key: kAnd(&SearchKey{Op: SearchText, Value: "caf\u00e9"})}}, 0},
	{"search return empty", "s SEARCH RETURN () ALL\r\n", &Command{Tag: "s", Name: "SEARCH", Args: &SearchArgs{
		Return: []string{}, HasReturn: true, Key: kAnd(kOp(SearchAll))}}, 0},
	{"search charset literal", "s SEARCH CHARSET ISO-8859-1 SUBJECT {4}\r\ncaf\xe9\r\n", &Command{Tag: "s", Name: "SEARCH", Args: &SearchArgs{
		Charset: "ISO-8859-1", Key: kAnd(kHdr("Subject", "caf\xe9"))}}, 1},
}

// TestEveryCommandCovered guards the table: each known command (and the
// UID form of each UID command) has at least one case.
func TestEveryCommandCovered(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range commandCases {
		name := tc.want.Name
		if tc.want.UID {
			name = "UID " + name
		}
		seen[name] = true
	}
	for name := range commands {
		if !seen[name] {
			t.Errorf("no table case for %s", name)
		}
	}
	for name := range uidCommands {
		if !seen["UID "+name] {
			t.Errorf("no table case for UID %s", name)
		}
	}
}

func TestReadCommand(t *testing.T) {
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(tc.in, DefaultLimits())
			got, err := d.ReadCommand()
			if err != nil {
				t.Fatalf("ReadCommand(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadCommand(%q)\n got  %s\n want %s", tc.in, show(got), show(tc.want))
			}
			if d.conts != tc.conts {
				t.Errorf("continuations = %d, want %d", d.conts, tc.conts)
			}
			if _, err := d.ReadCommand(); err != io.EOF {
				t.Errorf("after command: %v, want io.EOF (command not fully consumed)", err)
			}
		})
	}
}

// TestReadCommandSearchRes checks that "$" is go-imap's SEARCHRES marker.
func TestReadCommandSearchRes(t *testing.T) {
	for _, in := range []string{"a FETCH $ FLAGS\r\n", "a UID COPY $ x\r\n", "a UID EXPUNGE $\r\n", "a STORE $ +FLAGS x\r\n"} {
		cmd, err := newTestDecoder(in, DefaultLimits()).ReadCommand()
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var set imap.NumSet
		switch a := cmd.Args.(type) {
		case *FetchArgs:
			set = a.Set
		case *CopyArgs:
			set = a.Set
		case *NumSetArgs:
			set = a.Set
		case *StoreArgs:
			set = a.Set
		}
		if !imap.IsSearchRes(set) {
			t.Errorf("%q: set %v is not SearchRes", in, set)
		}
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// errorCases are malformed commands: the expected SyntaxError and that the
// decoder then reads the next command ("n NOOP") normally.
var errorCases = []struct {
	name string
	in   string
	tag  string
	msg  string // substring of Msg
	code string
}{
	{"empty tag", " NOOP\r\n", "", "Invalid tag", ""},
	{"plus in tag", "a+ NOOP\r\n", "", "Invalid tag", ""},
	{"star tag", "* NOOP\r\n", "", "Invalid tag", ""},
	{"continuation as tag", "+ NOOP\r\n", "", "Invalid tag", ""},
	{"quoted tag", "\"a\" NOOP\r\n", "", "Invalid tag", ""},
	{"tag only", "abc\r\n", "abc", "Missing command", ""},
	{"tag and space", "abc \r\n", "abc", "Missing command", ""},
	{"unknown", "a FROB x y\r\n", "a", "Unknown command", ""},
	{"uid with a non-uid command", "a UID XSORT (DATE) UTF-8 ALL\r\n", "a", "Unknown command", ""},
	{"uid noop", "a UID NOOP\r\n", "a", "Unknown command", ""},
	{"extra args", "a NOOP x\r\n", "a", "Unexpected extra arguments", ""},
	{"login missing", "a LOGIN bob\r\n", "a", "Missing argument", ""},
	{"login double space", "a LOGIN  bob x\r\n", "a", "Expected string", ""},
	{"bad escape", `a LOGIN "a\b" x` + "\r\n", "a", "Invalid escape", ""},
	{"unterminated quote", `a LOGIN "abc x` + "\r\n", "a", "Unterminated", ""},
	{"bad utf8 quoted", "a LOGIN \"\xff\xfe\" x\r\n", "a", "Invalid UTF-8", ""},
	{"nul in quoted", "a LOGIN \"a\x00b\" x\r\n", "a", "Invalid character", ""},
	{"nul in atom", "a LOGIN a\x00b x\r\n", "a", "", ""},
	{"literal8 outside append", "a LOGIN ~{3+}\r\nabc x\r\n", "a", "literal8", ""},
	{"literal not at end", "a LOGIN {3} x\r\n", "a", "Literal must end the line", ""},
	{"nul in literal", "a LOGIN {3+}\r\na\x00b x\r\n", "a", "NUL in literal", ""},
	{"small literal too big sync", "a LOGIN {51}\r\n", "a", "too big", "TOOBIG"},
	{"small literal too big nonsync", "a LOGIN {60+}\r\n" + string(make([]byte, 60)) + " x\r\n", "a", "too big", "TOOBIG"},
	{"zero seq", "a FETCH 0 FLAGS\r\n", "a", "non-zero", ""},
	{"bad seq", "a FETCH 1:x FLAGS\r\n", "a", "Invalid sequence set", ""},
	{"seq overflow", "a FETCH 4294967296 FLAGS\r\n", "a", "out of range", ""},
	{"fetch unknown item", "a FETCH 1 (FLAGS FOO)\r\n", "a", "Unknown fetch item", ""},
	{"fetch empty list", "a FETCH 1 ()\r\n", "a", "Expected fetch item", ""},
	{"fetch body.peek no section", "a FETCH 1 BODY.PEEK\r\n", "a", "Expected '['", ""},
	{"fetch bad section", "a FETCH 1 BODY[FOO]\r\n", "a", "Invalid section", ""},
	{"fetch mime without part", "a FETCH 1 BODY[MIME]\r\n", "a", "MIME needs a part", ""},
	{"fetch partial zero", "a FETCH 1 BODY[]<0.0>\r\n", "a", "non-zero", ""},
	{"fetch binary.size partial", "a FETCH 1 BINARY.SIZE[1]<0.1>\r\n", "a", "Unexpected extra", ""},
	{"fetch vanished without uid", "a FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)\r\n", "a", "VANISHED", ""},
	{"fetch vanished without changedsince", "a UID FETCH 1 FLAGS (VANISHED)\r\n", "a", "VANISHED", ""},
	{"fetch unknown modifier", "a FETCH 1 FLAGS (FOO)\r\n", "a", "Unknown FETCH modifier", ""},
	{"fetch preview bad mod", "a FETCH 1 (PREVIEW (LAZY FUZZY))\r\n", "a", "PREVIEW modifier", ""},
	{"fetch macro in list", "a FETCH 1 (ALL)\r\n", "a", "Unknown fetch item", ""},
	{"store bad item", "a STORE 1 LABELS (x)\r\n", "a", "Expected FLAGS", ""},
	{"store bad modifier", "a STORE 1 (FOO 1) FLAGS (x)\r\n", "a", "Unknown STORE modifier", ""},
	{"store no flags", "a STORE 1 FLAGS\r\n", "a", "Missing argument", ""},
	{"search unknown key", "a SEARCH FOO\r\n", "a", "Unknown search key", ""},
	{"search empty", "a SEARCH\r\n", "a", "Missing argument", ""},
	{"search bad date", "a SEARCH SINCE 30-Feb-2020\r\n", "a", "Invalid date", ""},
	{"search bad month", "a SEARCH SINCE 1-Foo-2020\r\n", "a", "Invalid date", ""},
	{"search missing arg", "a SEARCH FROM\r\n", "a", "Missing argument", ""},
	{"search or one arg", "a SEARCH OR SEEN\r\n", "a", "Missing argument", ""},
	{"search unbalanced", "a SEARCH (SEEN\r\n", "a", "Expected ')'", ""},
	{"search within zero", "a SEARCH OLDER 0\r\n", "a", "non-zero", ""},
	{"search bad return", "a SEARCH RETURN (PARTIAL 1:10) ALL\r\n", "a", "", ""},
	{"search modseq bad entry", `a SEARCH MODSEQ "/foo" all 1` + "\r\n", "a", "MODSEQ entry", ""},
	{"search modseq bad type", `a SEARCH MODSEQ "/flags/\\seen" mine 1` + "\r\n", "a", "MODSEQ entry type", ""},
	{"list recursivematch alone", `a LIST (RECURSIVEMATCH) "" *` + "\r\n", "a", "RECURSIVEMATCH", ""},
	{"list unknown option", `a LIST (FOO) "" *` + "\r\n", "a", "Unknown LIST selection", ""},
	{"list unknown return", `a LIST "" * RETURN (FOO)` + "\r\n", "a", "Unknown LIST return", ""},
	{"list no return keyword", `a LIST "" * FOO (CHILDREN)` + "\r\n", "a", "Expected RETURN", ""},
	{"status unknown item", "a STATUS INBOX (MESSAGES FOO)\r\n", "a", "Unknown STATUS item", ""},
	{"status empty", "a STATUS INBOX ()\r\n", "a", "Missing STATUS items", ""},
	{"select unknown param", "a SELECT INBOX (FOO)\r\n", "a", "Unknown SELECT parameter", ""},
	{"qresync star", "a SELECT INBOX (QRESYNC (1 2 1:*))\r\n", "a", "not allowed", ""},
	{"qresync zero uidvalidity", "a SELECT INBOX (QRESYNC (0 2))\r\n", "a", "non-zero", ""},
	{"create bad param", "a CREATE x (FOO (\\Sent))\r\n", "a", "Unknown CREATE parameter", ""},
	{"create use keyword", "a CREATE x (USE (Sent))\r\n", "a", "special-use", ""},
	{"auth bad base64", "a AUTHENTICATE PLAIN AGJv=YgBz\r\n", "a", "Invalid base64", ""},
	{"auth empty ir", "a AUTHENTICATE PLAIN \r\n", "a", "Expected base64", ""},
	{"id too many", "a ID (" + idPairs(31) + ")\r\n", "a", "Too many ID parameters", ""},
	{"id long field", "a ID (\"" + string(make31('k')) + "\" NIL)\r\n", "a", "too long", ""},
	{"id bad", "a ID FOO\r\n", "a", "Expected ID", ""},
	{"enable none", "a ENABLE\r\n", "a", "Missing argument", ""},
	{"uid expunge no set", "a UID EXPUNGE\r\n", "a", "Missing argument", ""},
	{"nesting", "a SEARCH (((((SEEN)))))\r\n", "a", "Too deeply nested", ""},
	{"line too long", "a LOGIN " + string(make201('x')) + " x\r\n", "a", "too long", ""},
	{"line too long untagged", string(make201('x')) + "\r\n", "", "too long", ""},
}

func make31(c byte) []byte {
	b := make([]byte, 31)
	for i := range b {
		b[i] = c
	}
	return b
}

func make201(c byte) []byte {
	b := make([]byte, 201)
	for i := range b {
		b[i] = c
	}
	return b
}

func idPairs(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += " "
		}
		s += `"k" "v"`
	}
	return s
}

func TestReadCommandErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			lim := smallLimits()
			if tc.name == "id too many" {
				lim.MaxLineLength = 1000
			}
			d := newTestDecoder(tc.in+"n NOOP\r\n", lim)
			_, err := d.ReadCommand()
			se := syntaxErr(t, err)
			if se.Tag != tc.tag || !contains(se.Msg, tc.msg) || se.Code != tc.code {
				t.Errorf("got %+v, want tag %q msg ~%q code %q", se, tc.tag, tc.msg, tc.code)
			}
			if se.Code == "TOOBIG" && !errors.Is(err, ErrLiteralTooBig) {
				t.Errorf("TOOBIG error does not wrap ErrLiteralTooBig")
			}
			if d.conts != 0 {
				t.Errorf("sent %d continuations for a rejected command", d.conts)
			}
			cmd, err := d.ReadCommand()
			if err != nil || cmd.Tag != "n" || cmd.Name != "NOOP" {
				t.Fatalf("next command after error: %+v, %v", cmd, err)
			}
			if _, err := d.ReadCommand(); err != io.EOF {
				t.Errorf("at end: %v, want io.EOF", err)
			}
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexFold(s, sub) >= 0)
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		match := true
		for j := 0; j < len(sub); j++ {
			a, b := s[i+j], sub[j]
			if a|0x20 != b|0x20 {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

func TestParseDateTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"17-Jul-1996 02:44:25 -0700", time.Date(1996, 7, 17, 2, 44, 25, 0, time.FixedZone("", -7*3600)), true},
		{" 7-Jul-1996 02:44:25 +0530", time.Date(1996, 7, 7, 2, 44, 25, 0, time.FixedZone("", 5*3600+1800)), true},
		{"7-jul-1996 23:59:60 +0000", time.Date(1996, 7, 7, 23, 59, 59, 0, time.UTC), true},
		{"31-Apr-1996 02:44:25 -0700", time.Time{}, false},
		{"17-Jul-1996 24:00:00 -0700", time.Time{}, false},
		{"17-Jul-1996 02:44:25", time.Time{}, false},
		{"17-Jul-96 02:44:25 -0700", time.Time{}, false},
		{"17-Jul-1996 02:44:25 0700", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tc := range cases {
		got, err := ParseDateTime(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseDateTime(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && !got.Equal(tc.want) {
			t.Errorf("ParseDateTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if tc.ok {
			_, off := got.Zone()
			_, woff := tc.want.Zone()
			if off != woff {
				t.Errorf("ParseDateTime(%q) offset %d, want %d", tc.in, off, woff)
			}
		}
	}
}
