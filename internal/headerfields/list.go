package headerfields

import "strings"

// listFields are the header fields that mail clients ask for when they
// build a message list (BODY.PEEK[HEADER.FIELDS (...)] of a page of
// messages): Thunderbird, Apple Mail, mutt, K-9 and Delta Chat ask for
// subsets of these, most of them for the first six. A message's list
// header keeps only these lines, a few hundred bytes where the whole
// header, with its Received, DKIM and ARC fields, is several KB.
var listFields = []string{
	"From", "To", "Cc", "Subject", "Date", "Message-ID",
	"Bcc", "Sender", "Reply-To", "In-Reply-To", "References",
	"Content-Type", "Content-Description", "Content-Transfer-Encoding",
	"Priority", "X-Priority", "Importance", "X-MSMail-Priority",
	"Newsgroups", "Lines", "X-Label", "X-Original-To", "Delivered-To",
	"List-ID", "List-Post", "List-Subscribe", "List-Unsubscribe", "List-Archive", "List-Help",
	"Chat-Version", "X-Microsoft-Original-Message-ID",
}

// ListVersion leads every stored list header. It names listFields: change
// it whenever they change, so that list headers stored under the old
// list are not taken for answers they lack fields for.
const ListVersion byte = 1

// ListHeader returns the list header of a raw header block as it is
// stored: ListVersion, then the lines of listFields (Filter).
func ListHeader(raw []byte) []byte {
	return listSet.Filter(append(make([]byte, 0, 512), ListVersion), raw)
}

var listSet = Compile(listFields, false)

// FromList returns the header lines of a stored list header, or false
// when it was stored under another ListVersion.
func FromList(stored []byte) ([]byte, bool) {
	if len(stored) == 0 || stored[0] != ListVersion {
		return nil, false
	}
	return stored[1:], true
}

// Listed reports whether the Set can be answered from a list header: it
// is a HEADER.FIELDS (not .NOT) whose names are all list fields. Its
// answer on a list header is then its answer on the whole header: the
// lines it keeps are list lines, in the same order, and the blank line
// is kept by both.
func (s *Set) Listed() bool { return s.fromList }

// inList reports whether name is one of listFields under EqualFold.
func inList(name string) bool {
	for _, f := range listFields {
		if strings.EqualFold(name, f) {
			return true
		}
	}
	return false
}
