// Package proto holds the .proto files of postbus and, in sub-packages, the
// Go code generated from them. Regenerate with `go generate ./proto/...` or
// `make proto` (scripts/genproto.sh pins the generator versions).
package proto

//go:generate bash ../scripts/genproto.sh
