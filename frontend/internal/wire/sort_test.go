package wire

// SORT and THREAD rows of the decoder tables (and so of the fuzz corpus).
func init() {
	crit := func(cs ...SortCriterion) []SortCriterion { return cs }
	commandCases = append(commandCases, []struct {
		name  string
		in    string
		want  *Command
		conts int
	}{
		{"sort one key", "s SORT (SUBJECT) UTF-8 ALL\r\n", &Command{Tag: "s", Name: "SORT", Args: &SortArgs{
			Criteria: crit(SortCriterion{Key: "SUBJECT"}), Charset: "UTF-8", Key: kAnd(kOp(SearchAll))}}, 0},
		{"sort RFC 5256 example", "A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n", &Command{Tag: "A283", Name: "SORT", Args: &SortArgs{
			Criteria: crit(SortCriterion{Key: "SUBJECT"}, SortCriterion{Key: "DATE", Reverse: true}), Charset: "UTF-8", Key: kAnd(kOp(SearchAll))}}, 0},
		{"sort every key lower case", "s sort (arrival cc date from size subject to displayfrom reverse displayto) us-ascii seen unseen\r\n", &Command{Tag: "s", Name: "SORT", Args: &SortArgs{
			Criteria: crit(SortCriterion{Key: "ARRIVAL"}, SortCriterion{Key: "CC"}, SortCriterion{Key: "DATE"}, SortCriterion{Key: "FROM"},
				SortCriterion{Key: "SIZE"}, SortCriterion{Key: "SUBJECT"}, SortCriterion{Key: "TO"}, SortCriterion{Key: "DISPLAYFROM"},
				SortCriterion{Key: "DISPLAYTO", Reverse: true}),
			Charset: "us-ascii", Key: kAnd(kFlag(`\Seen`), kNot(kFlag(`\Seen`)))}}, 0},
		{"uid sort quoted charset", "s UID SORT (DATE) \"UTF-8\" FROM {3}\r\nbob\r\n", &Command{Tag: "s", Name: "SORT", UID: true, Args: &SortArgs{
			Criteria: crit(SortCriterion{Key: "DATE"}), Charset: "UTF-8", Key: kAnd(kHdr("From", "bob"))}}, 1},
		{"esort return", "E01 UID SORT RETURN (min COUNT) (REVERSE DATE) UTF-8 UNDELETED\r\n", &Command{Tag: "E01", Name: "SORT", UID: true, Args: &SortArgs{
			Return: []string{"MIN", "COUNT"}, HasReturn: true, Criteria: crit(SortCriterion{Key: "DATE", Reverse: true}), Charset: "UTF-8",
			Key: kAnd(kNot(kFlag(`\Deleted`)))}}, 0},
		{"esort empty return", "E01 SORT RETURN () (SIZE) UTF-8 ALL\r\n", &Command{Tag: "E01", Name: "SORT", Args: &SortArgs{
			Return: []string{}, HasReturn: true, Criteria: crit(SortCriterion{Key: "SIZE"}), Charset: "UTF-8", Key: kAnd(kOp(SearchAll))}}, 0},
		{"thread references", "t THREAD REFERENCES UTF-8 ALL\r\n", &Command{Tag: "t", Name: "THREAD", Args: &ThreadArgs{
			Algorithm: "REFERENCES", Charset: "UTF-8", Key: kAnd(kOp(SearchAll))}}, 0},
		{"uid thread orderedsubject", "t uid thread orderedsubject US-ASCII SEEN OR DELETED DRAFT\r\n", &Command{Tag: "t", Name: "THREAD", UID: true, Args: &ThreadArgs{
			Algorithm: "ORDEREDSUBJECT", Charset: "US-ASCII", Key: kAnd(kFlag(`\Seen`), kOr(kFlag(`\Deleted`), kFlag(`\Draft`)))}}, 0},
	}...)
	errorCases = append(errorCases, []struct {
		name string
		in   string
		tag  string
		msg  string
		code string
	}{
		{"sort no args", "s SORT\r\n", "s", "", ""},
		{"sort no charset", "s SORT (DATE)\r\n", "s", "", ""},
		{"sort no search key", "s SORT (DATE) UTF-8\r\n", "s", "", ""},
		{"sort empty criteria", "s SORT () UTF-8 ALL\r\n", "s", "", ""},
		{"sort unknown key", "s SORT (COLOUR) UTF-8 ALL\r\n", "s", "Unknown sort criterion", ""},
		{"sort reverse alone", "s SORT (REVERSE) UTF-8 ALL\r\n", "s", "", ""},
		{"sort reverse reverse", "s SORT (REVERSE REVERSE DATE) UTF-8 ALL\r\n", "s", "Unknown sort criterion", ""},
		{"sort criteria not a list", "s SORT DATE UTF-8 ALL\r\n", "s", "", ""},
		{"sort literal charset", "s SORT (DATE) {5}\r\n", "s", "Expected charset", ""},
		{"sort unknown return", "s SORT RETURN (SAVE) (DATE) UTF-8 ALL\r\n", "s", "Unknown SORT return option", ""},
		{"sort bad search key", "s SORT (DATE) UTF-8 NOSUCHKEY\r\n", "s", "", ""},
		{"sort too many criteria", "s SORT (DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE) UTF-8 ALL\r\n", "s", "Too many sort criteria", ""},
		{"thread unknown algorithm", "t THREAD X-JWZ UTF-8 ALL\r\n", "t", "Unknown THREAD algorithm", ""},
		{"thread no charset", "t THREAD REFERENCES\r\n", "t", "", ""},
		{"thread no key", "t THREAD REFERENCES UTF-8\r\n", "t", "", ""},
		{"thread trailing space", "t THREAD REFERENCES UTF-8 ALL \r\n", "t", "", ""},
	}...)
}
