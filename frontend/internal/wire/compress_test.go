package wire

// The COMPRESS command's rows of the decoder tables (and so of the fuzz
// corpus, which is seeded from them).
func init() {
	commandCases = append(commandCases, []struct {
		name  string
		in    string
		want  *Command
		conts int
	}{
		{"compress deflate", "c COMPRESS DEFLATE\r\n", &Command{Tag: "c", Name: "COMPRESS", Args: &CompressArgs{Algorithm: "DEFLATE"}}, 0},
		{"compress lower case", "c compress deflate\r\n", &Command{Tag: "c", Name: "COMPRESS", Args: &CompressArgs{Algorithm: "DEFLATE"}}, 0},
		// Unknown algorithms parse: the session answers BAD for them.
		{"compress other atom", "c COMPRESS LZW\r\n", &Command{Tag: "c", Name: "COMPRESS", Args: &CompressArgs{Algorithm: "LZW"}}, 0},
	}...)
	errorCases = append(errorCases, []struct {
		name string
		in   string
		tag  string
		msg  string
		code string
	}{
		{"compress no argument", "c COMPRESS\r\n", "c", "", ""},
		{"compress empty argument", "c COMPRESS \r\n", "c", "Expected compression algorithm", ""},
		{"compress quoted", "c COMPRESS \"DEFLATE\"\r\n", "c", "Expected compression algorithm", ""},
		{"compress two", "c COMPRESS DEFLATE DEFLATE\r\n", "c", "Unexpected extra arguments", ""},
		{"compress literal", "c COMPRESS {7}\r\n", "c", "Expected compression algorithm", ""},
	}...)
}
