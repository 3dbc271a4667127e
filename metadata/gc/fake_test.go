package gc_test

import (
	"io"

	"google.golang.org/grpc"
)

type grpcCallOption = grpc.CallOption

var errEOF = io.EOF
