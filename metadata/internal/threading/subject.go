package threading

import "strings"

// BaseSubject returns the base subject of a decoded (RFC 2047 already
// applied) subject, per RFC 5256 §2.1 steps (1)–(7), and whether the
// extraction removed a subj-refwd, a "(fwd)" trailer or a [fwd: ...]
// wrapper, which makes the message a reply or forward for the REFERENCES
// subject merge (§3).
func BaseSubject(subject string) (base string, replyOrFwd bool) {
	s := normalizeSpace(subject) // step (1)
	for {
		// Step (2): strip subj-trailer = "(fwd)" / WSP, repeatedly.
		for {
			t := strings.TrimRight(s, " ")
			if hasSuffixFold(t, "(fwd)") {
				t = t[:len(t)-len("(fwd)")]
				replyOrFwd = true
			}
			if t == s {
				break
			}
			s = t
		}
		// Steps (3)–(5).
		for changed := true; changed; {
			changed = false
			for { // (3) all subj-leader prefixes
				if strings.HasPrefix(s, " ") {
					s = s[1:]
					changed = true
					continue
				}
				if n := refwdLeader(s); n > 0 {
					s = s[n:]
					replyOrFwd, changed = true, true
					continue
				}
				break
			}
			// (4) a subj-blob, if something (a subj-base) remains.
			if n := blob(s); n > 0 && n < len(s) {
				s = s[n:]
				changed = true
			}
		}
		// Step (6): "[fwd:" subject "]".
		if len(s) >= len("[fwd:]") && hasPrefixFold(s, "[fwd:") && strings.HasSuffix(s, "]") {
			s = s[len("[fwd:") : len(s)-1]
			replyOrFwd = true
			continue
		}
		return s, replyOrFwd
	}
}

// normalizeSpace turns tabs and line breaks into spaces and collapses runs
// of spaces (step 1).
func normalizeSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// blob returns the length of the subj-blob = "[" *BLOBCHAR "]" *WSP at the
// start of s, or 0.
func blob(s string) int {
	if !strings.HasPrefix(s, "[") {
		return 0
	}
	end := strings.IndexAny(s[1:], "[]")
	if end < 0 || s[1+end] != ']' {
		return 0
	}
	n := end + 2
	for n < len(s) && s[n] == ' ' {
		n++
	}
	return n
}

// refwdLeader returns the length of *subj-blob subj-refwd at the start of
// s, or 0; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".
func refwdLeader(s string) int {
	n := 0
	for {
		b := blob(s[n:])
		if b == 0 {
			break
		}
		n += b
	}
	r := s[n:]
	switch {
	case hasPrefixFold(r, "re"):
		n += 2
	case hasPrefixFold(r, "fwd"):
		n += 3
	case hasPrefixFold(r, "fw"):
		n += 2
	default:
		return 0
	}
	for n < len(s) && s[n] == ' ' {
		n++
	}
	n += blob(s[n:])
	if n < len(s) && s[n] == ':' {
		return n + 1
	}
	return 0
}

func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

func hasSuffixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[len(s)-len(p):], p)
}
