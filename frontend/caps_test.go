package frontend

import (
	"slices"
	"strings"
	"testing"
)

// TestCapabilitiesAreWhatWorks pins the capability list of a logged-in
// session: every entry has its tests in this package, and an extension
// added or removed must change this list on purpose.
func TestCapabilitiesAreWhatWorks(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	u := r.expect("c", "CAPABILITY", "OK")
	if len(u) != 1 || !strings.HasPrefix(u[0], "* CAPABILITY ") {
		t.Fatalf("CAPABILITY: %q", u)
	}
	got := strings.Fields(strings.TrimPrefix(u[0], "* CAPABILITY "))
	want := []string{
		"IMAP4rev1", "IMAP4rev2", "LITERAL+", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "ID",
		"CHILDREN", "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "ESEARCH", "SEARCHRES",
		"BINARY", "STATUS=SIZE", "SAVEDATE", "PREVIEW", "WITHIN", "MULTIAPPEND", "UNAUTHENTICATE", "NOTIFY",
		"QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "CONDSTORE", "QRESYNC",
		"SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ESORT", "CATENATE", "URL-PARTIAL",
		"OBJECTID", "METADATA", "METADATA-SERVER", "LIST-METADATA", "UTF8=ACCEPT", "COMPRESS=DEFLATE",
	}
	var appendLimit bool
	got = slices.DeleteFunc(got, func(c string) bool {
		if strings.HasPrefix(c, "APPENDLIMIT=") {
			appendLimit = true
			return true
		}
		return false
	})
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || !appendLimit {
		t.Errorf("capabilities after login:\n got %q\nwant %q (+ APPENDLIMIT=n: %v)", got, want, appendLimit)
	}
}

// TestWithin checks RFC 5032 SEARCH OLDER/YOUNGER end to end (the
// evaluator has its own unit tests): intervals are seconds before now,
// and must be positive numbers.
func TestWithin(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.appendRaw("INBOX", "Subject: new\r\n\r\nb\r\n")
	r.send("a APPEND INBOX \"01-Jan-2020 10:00:00 +0000\" {17+}\r\nSubject: old\r\n\r\nb\r\n")
	r.until("a")
	r.expect("s", "SELECT INBOX", "OK")
	for _, tc := range []struct{ search, want string }{
		{"SEARCH YOUNGER 3600", "* SEARCH 1"},
		{"SEARCH OLDER 3600", "* SEARCH 2"},
		{"SEARCH OLDER 3600 YOUNGER 3600", "* SEARCH"},
		{"SEARCH NOT YOUNGER 86400", "* SEARCH 2"},
	} {
		if u := r.expect("w", tc.search, "OK"); len(u) != 1 || u[0] != tc.want {
			t.Errorf("%s: %q, want %q", tc.search, u, tc.want)
		}
	}
	for _, bad := range []string{"SEARCH YOUNGER 0", "SEARCH OLDER -1", "SEARCH OLDER", "SEARCH YOUNGER x"} {
		r.expect("b", bad, "BAD")
	}
}
