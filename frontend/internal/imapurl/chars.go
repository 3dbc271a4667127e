package imapurl

// The character classes of RFC 5092 §11 and RFC 3986 §2. A '%' is
// accepted wherever pct-encoded is; decode checks its two hex digits.

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3).
func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// sub-delims-sh = "!" / "$" / "'" / "(" / ")" / "*" / "+" / ",".
func isSubDelimSh(c byte) bool {
	switch c {
	case '!', '$', '\'', '(', ')', '*', '+', ',':
		return true
	}
	return false
}

// uchar = unreserved / sub-delims-sh / pct-encoded.
func isUchar(c byte) bool { return isUnreserved(c) || isSubDelimSh(c) || c == '%' }

// achar = uchar / "&" / "=".
func isAchar(c byte) bool { return isUchar(c) || c == '&' || c == '=' }

// bchar = achar / ":" / "@" / "/".
func isBchar(c byte) bool { return isAchar(c) || c == ':' || c == '@' || c == '/' }

// reg-name = *( unreserved / pct-encoded / sub-delims ) (RFC 3986 §3.2.2).
func isRegNameChar(c byte) bool {
	return isUnreserved(c) || isSubDelimSh(c) || c == '%' || c == ';' || c == '&' || c == '='
}

// isIPLiteralChar covers IPv6address and IPvFuture loosely: the host is
// only ever compared with the server's own name, never resolved.
func isIPLiteralChar(c byte) bool { return isHex(c) || c == ':' || c == '.' || c == 'v' || c == 'V' }
