package wire

// The COMPRESS command (RFC 4978 §5). It is registered in the command
// table by this file's init, which runs after commands.go's (the go tool
// initialises a package's files in file name order).

// CompressArgs is COMPRESS algorithm. The decoder accepts any atom, upper-
// cased: which algorithms exist is the session's business (an unknown one
// gets BAD from it, RFC 4978 §3).
type CompressArgs struct {
	Algorithm string
}

func init() {
	commands["COMPRESS"] = parseCompress
}

// parseCompress: "COMPRESS" SP algorithm, algorithm = atom (RFC 4978 §5:
// "future algorithm names must be atoms").
func parseCompress(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	alg, err := d.keyword()
	if err != nil {
		return d.errf("Expected compression algorithm")
	}
	cmd.Args = &CompressArgs{Algorithm: alg}
	return nil
}
