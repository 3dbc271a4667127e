# postbus — see README.md. `make test` is the one test command.
.PHONY: build test lint proto bench fuzz clean

build:
	go build -o postbus ./cmd/postbus

test:
	bash scripts/test.sh

lint:
	gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')
	go vet ./...
	PATH="$$PWD/.tools/bin:$$PATH" staticcheck ./...

# Regenerate proto/*pb with pinned protoc-gen-go / protoc-gen-go-grpc.
proto:
	bash scripts/genproto.sh

bench:
	go test -run '^$$' -bench . -benchmem ./...

# Run each fuzz target for FUZZTIME (default 30s); crashers land in testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	go test -run '^$$' -fuzz FuzzReadCommand -fuzztime $(FUZZTIME) ./frontend/internal/wire/
	go test -run '^$$' -fuzz FuzzAnalyze -fuzztime $(FUZZTIME) ./frontend/internal/message/
	go test -run '^$$' -fuzz FuzzMatch -fuzztime $(FUZZTIME) ./metadata/internal/search/

clean:
	rm -f postbus
