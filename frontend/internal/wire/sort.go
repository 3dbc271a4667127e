package wire

// SORT and THREAD (RFC 5256 §3, §5), SORT=DISPLAY criteria (RFC 5957 §4)
// and the ESORT return options (RFC 5267 §3.2). They are registered by this
// file's init, which runs after commands.go's.

// SortArgs is [UID] SORT [RETURN (opts)] sort-criteria charset
// 1*search-key.
type SortArgs struct {
	// Return options, upper-case MIN, MAX, ALL, COUNT (RFC 5267 §3.2);
	// HasReturn is true if "RETURN (...)" was present, even empty: the
	// answer is then ESEARCH, not SORT.
	Return    []string
	HasReturn bool
	Criteria  []SortCriterion // at least one
	Charset   string          // as sent (mandatory in SORT)
	Key       *SearchKey      // SearchAnd of the keys, as in SearchArgs
}

// SortCriterion is one sort-criterion: an upper-case sort-key (ARRIVAL,
// CC, DATE, FROM, SIZE, SUBJECT, TO, DISPLAYFROM, DISPLAYTO), REVERSEd or
// not.
type SortCriterion struct {
	Key     string
	Reverse bool
}

// ThreadArgs is [UID] THREAD thread-alg charset 1*search-key.
type ThreadArgs struct {
	Algorithm string // upper-case: ORDEREDSUBJECT or REFERENCES
	Charset   string
	Key       *SearchKey
}

// sortKeys are the sort-key atoms postbus knows.
var sortKeys = map[string]bool{
	"ARRIVAL": true, "CC": true, "DATE": true, "FROM": true, "SIZE": true,
	"SUBJECT": true, "TO": true, "DISPLAYFROM": true, "DISPLAYTO": true,
}

// threadAlgorithms are the thread-alg atoms postbus implements; any other
// is refused here, as Dovecot does, since none can be answered.
var threadAlgorithms = map[string]bool{"ORDEREDSUBJECT": true, "REFERENCES": true}

// sortReturn are the ESORT return options (no SAVE: RFC 5182 defines it
// for SEARCH only).
var sortReturn = map[string]bool{"MIN": true, "MAX": true, "ALL": true, "COUNT": true}

// maxSortCriteria bounds a sort program: every key of RFC 5256/5957
// twice (plain and REVERSE) is already more than any client sends.
const maxSortCriteria = 2 * 9

func init() {
	commands["SORT"] = parseSort
	commands["THREAD"] = parseThread
	uidCommands["SORT"] = true
	uidCommands["THREAD"] = true
}

// parseSort: SORT [SP "RETURN" SP "(" [opts] ")"] SP sort-criteria SP
// search-criteria (RFC 5256 §5, RFC 5267 §3.2 extended-sort).
func parseSort(d *Decoder, cmd *Command) error {
	args := &SortArgs{}
	if err := d.sp(); err != nil {
		return err
	}
	var err error
	if args.Return, args.HasReturn, err = d.returnOptions("SORT", sortReturn); err != nil {
		return err
	}
	// sort-criteria = "(" sort-criterion *(SP sort-criterion) ")".
	err = d.list(true, func() error {
		if len(args.Criteria) == maxSortCriteria {
			return d.errf("Too many sort criteria")
		}
		k, err := d.keyword()
		if err != nil {
			return err
		}
		c := SortCriterion{}
		if k == "REVERSE" {
			c.Reverse = true
			if err := d.sp(); err != nil {
				return err
			}
			if k, err = d.keyword(); err != nil {
				return err
			}
		}
		if !sortKeys[k] {
			return d.errf("Unknown sort criterion " + k)
		}
		c.Key = k
		args.Criteria = append(args.Criteria, c)
		return nil
	})
	if err != nil {
		return err
	}
	if args.Charset, args.Key, err = d.searchCriteria(); err != nil {
		return err
	}
	cmd.Args = args
	return nil
}

// parseThread: THREAD SP thread-alg SP search-criteria (RFC 5256 §5).
func parseThread(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	alg, err := d.keyword()
	if err != nil {
		return err
	}
	if !threadAlgorithms[alg] {
		return d.errf("Unknown THREAD algorithm " + alg)
	}
	args := &ThreadArgs{Algorithm: alg}
	if args.Charset, args.Key, err = d.searchCriteria(); err != nil {
		return err
	}
	cmd.Args = args
	return nil
}

// searchCriteria reads SP charset 1*(SP search-key) (RFC 5256 §5
// search-criteria; charset = atom / quoted).
func (d *Decoder) searchCriteria() (string, *SearchKey, error) {
	if err := d.sp(); err != nil {
		return "", nil, err
	}
	if d.atString() && d.peek() != '"' {
		return "", nil, d.errf("Expected charset")
	}
	cs, err := d.astring()
	if err != nil {
		return "", nil, err
	}
	top := &SearchKey{Op: SearchAnd}
	for {
		if err := d.sp(); err != nil {
			return "", nil, err
		}
		k, err := d.searchKey()
		if err != nil {
			return "", nil, err
		}
		top.Children = append(top.Children, k)
		if d.atEnd() {
			return cs, top, nil
		}
	}
}
