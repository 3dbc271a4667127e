package wire

// The QUOTA commands' rows of the decoder tables (and so of the fuzz
// corpus, which is seeded from them).
func init() {
	commandCases = append(commandCases, []struct {
		name  string
		in    string
		want  *Command
		conts int
	}{
		{"getquota empty root", "q GETQUOTA \"\"\r\n", &Command{Tag: "q", Name: "GETQUOTA", Args: &QuotaRootArgs{Root: ""}}, 0},
		{"getquota atom lower", "q getquota user.bob\r\n", &Command{Tag: "q", Name: "GETQUOTA", Args: &QuotaRootArgs{Root: "user.bob"}}, 0},
		{"getquotaroot", "q GETQUOTAROOT INBOX\r\n", &Command{Tag: "q", Name: "GETQUOTAROOT", Args: &MailboxArgs{Mailbox: "INBOX"}}, 0},
		{"getquotaroot literal", "q GETQUOTAROOT {5}\r\na b c\r\n", &Command{Tag: "q", Name: "GETQUOTAROOT", Args: &MailboxArgs{Mailbox: "a b c"}}, 1},
		{"setquota", "q SETQUOTA \"\" (storage 512 MESSAGE 1000)\r\n", &Command{Tag: "q", Name: "SETQUOTA", Args: &SetQuotaArgs{
			Root: "", Limits: []QuotaLimit{{Resource: "STORAGE", Limit: 512}, {Resource: "MESSAGE", Limit: 1000}}}}, 0},
		{"setquota empty list", "q SETQUOTA root ()\r\n", &Command{Tag: "q", Name: "SETQUOTA", Args: &SetQuotaArgs{Root: "root", Limits: []QuotaLimit{}}}, 0},
		{"setquota number64", "q SETQUOTA r (X-FOO 9223372036854775807)\r\n", &Command{Tag: "q", Name: "SETQUOTA", Args: &SetQuotaArgs{
			Root: "r", Limits: []QuotaLimit{{Resource: "X-FOO", Limit: 1<<63 - 1}}}}, 0},
	}...)
	errorCases = append(errorCases, []struct {
		name string
		in   string
		tag  string
		msg  string
		code string
	}{
		{"getquota no root", "q GETQUOTA\r\n", "q", "", ""},
		{"getquotaroot no mailbox", "q GETQUOTAROOT \r\n", "q", "", ""},
		{"setquota no list", "q SETQUOTA \"\"\r\n", "q", "", ""},
		{"setquota missing limit", "q SETQUOTA \"\" (STORAGE)\r\n", "q", "", ""},
		{"setquota limit not a number", "q SETQUOTA \"\" (STORAGE x)\r\n", "q", "Expected number", ""},
		{"setquota limit too big", "q SETQUOTA \"\" (STORAGE 99999999999999999999)\r\n", "q", "out of range", ""},
		{"setquota unclosed", "q SETQUOTA \"\" (STORAGE 1\r\n", "q", "", ""},
		{"setquota trailing", "q SETQUOTA \"\" () x\r\n", "q", "", ""},
		{"setquota too many", "q SETQUOTA r (A 1 B 2 C 3 D 4 E 5 F 6 G 7 H 8 I 9 J 10 K 11 L 12 M 13 N 14 O 15 P 16 Q 17)\r\n", "q", "Too many", ""},
	}...)
}
