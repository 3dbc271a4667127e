#!/usr/bin/env bash
# Regenerates the Go code of proto/*.proto with pinned generators.
# Usage: scripts/genproto.sh   (or: go generate ./proto/...  or: make proto)
set -euo pipefail
cd "$(dirname "$0")/.."
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
bin="$PWD/.tools/bin"
mkdir -p "$bin"
if ! command -v protoc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
fi
[ -x "$bin/protoc-gen-go" ] || GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
[ -x "$bin/protoc-gen-go-grpc" ] || GOBIN="$bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
PATH="$bin:$PATH" protoc -I proto \
  --go_out=. --go_opt=module=github.com/postbus/postbus \
  --go-grpc_out=. --go-grpc_opt=module=github.com/postbus/postbus \
  proto/*.proto
