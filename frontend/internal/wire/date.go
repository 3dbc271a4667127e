package wire

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file parses dates: date (SEARCH) and date-time (APPEND), RFC 9051 §9.

var months = [12]string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}

// date reads date = date-text / DQUOTE date-text DQUOTE, as midnight UTC.
func (d *Decoder) date() (time.Time, error) {
	quoted := d.maybe('"')
	start := d.pos
	for d.pos < len(d.line) && (isAlnum(d.line[d.pos]) || d.line[d.pos] == '-') {
		d.pos++
	}
	t, err := parseDateText(string(d.line[start:d.pos]))
	if err != nil {
		return time.Time{}, d.errf("Invalid date")
	}
	if quoted && !d.maybe('"') {
		return time.Time{}, d.errf("Invalid date")
	}
	return t, nil
}

// dateTime reads a quoted date-time.
func (d *Decoder) dateTime() (time.Time, error) {
	if err := d.expect('"'); err != nil {
		return time.Time{}, err
	}
	start := d.pos
	for d.pos < len(d.line) && d.line[d.pos] != '"' {
		d.pos++
	}
	if d.atEnd() {
		return time.Time{}, d.errf("Invalid date-time")
	}
	t, err := ParseDateTime(string(d.line[start:d.pos]))
	d.pos++
	if err != nil {
		return time.Time{}, d.errf("Invalid date-time")
	}
	return t, nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// parseDateText parses date-day "-" date-month "-" date-year.
func parseDateText(s string) (time.Time, error) {
	day, rest, ok := strings.Cut(s, "-")
	if !ok || len(day) < 1 || len(day) > 2 {
		return time.Time{}, errDate
	}
	return parseDayMonthYear(day, rest, time.UTC)
}

var errDate = errors.New("wire: invalid date")

// parseDayMonthYear parses day (1 or 2 digits) and "Mon-yyyy", checking
// that the calendar date exists.
func parseDayMonthYear(day, monthYear string, loc *time.Location) (time.Time, error) {
	mon, year, ok := strings.Cut(monthYear, "-")
	if !ok || len(mon) != 3 || len(year) != 4 {
		return time.Time{}, errDate
	}
	dd, ok1 := digits(day)
	yy, ok2 := digits(year)
	if !ok1 || !ok2 {
		return time.Time{}, errDate
	}
	m := 0
	for i, name := range months {
		if strings.EqualFold(mon, name) {
			m = i + 1
		}
	}
	if m == 0 || dd < 1 {
		return time.Time{}, errDate
	}
	t := time.Date(yy, time.Month(m), dd, 0, 0, 0, 0, loc)
	if t.Day() != dd || int(t.Month()) != m {
		return time.Time{}, errDate // 31-Feb and the like
	}
	return t, nil
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// ParseDateTime parses the content of an IMAP date-time without its quotes,
// "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 9051 §9 date-time; the day may be
// space-padded or a single digit). The result carries the given zone offset.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, " ") // date-day-fixed = (SP DIGIT) / 2DIGIT
	date, rest, ok := strings.Cut(s, " ")
	if !ok {
		return time.Time{}, fmt.Errorf("%w %q", errDate, s)
	}
	clock, zone, ok := strings.Cut(rest, " ")
	if !ok || len(clock) != 8 || clock[2] != ':' || clock[5] != ':' || len(zone) != 5 {
		return time.Time{}, fmt.Errorf("%w %q", errDate, s)
	}
	hh, ok1 := digits(clock[0:2])
	mm, ok2 := digits(clock[3:5])
	ss, ok3 := digits(clock[6:8])
	zh, ok4 := digits(zone[1:3])
	zm, ok5 := digits(zone[3:5])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || hh > 23 || mm > 59 || ss > 60 || zm > 59 ||
		(zone[0] != '+' && zone[0] != '-') {
		return time.Time{}, fmt.Errorf("%w %q", errDate, s)
	}
	off := zh*3600 + zm*60
	if zone[0] == '-' {
		off = -off
	}
	day, monthYear, ok := strings.Cut(date, "-")
	if !ok || len(day) < 1 || len(day) > 2 {
		return time.Time{}, fmt.Errorf("%w %q", errDate, s)
	}
	loc := time.FixedZone("", off)
	t, err := parseDayMonthYear(day, monthYear, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w %q", errDate, s)
	}
	if ss == 60 {
		ss = 59 // leap second: time.Time cannot hold it
	}
	return t.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second), nil
}
