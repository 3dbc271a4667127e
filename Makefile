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

# Run each fuzz target for FUZZTIME (default 30s); crashers land in the
# package's testdata/fuzz/ and become regression tests.
FUZZTIME ?= 30s
FUZZ_TARGETS = \
	./frontend/internal/wire:FuzzReadCommand \
	./frontend/internal/wire:FuzzMailboxName \
	./frontend/internal/imapurl:FuzzParse \
	./frontend/internal/wire:FuzzMetadataCommand \
	./metadata/base:FuzzCanonicalEntry \
	./frontend/internal/wire:FuzzNotify \
	./frontend/internal/message:FuzzAnalyze \
	./frontend/internal/message:FuzzFilterFields \
	./internal/headerfields:FuzzListHeader \
	./frontend:FuzzSession \
	./frontend:FuzzCompressedSession \
	./frontend/proxyproto:FuzzParseHeader \
	./frontend/deliver:FuzzCRLFReader \
	./frontend/mailimport:FuzzMbox \
	./frontend/mailimport:FuzzMessageFile \
	./metadata/internal/search:FuzzMatch \
	./metadata/internal/schema:FuzzDecode \
	./metadata/internal/schema:FuzzDecodePostings \
	./metadata/internal/schema:FuzzDecodeAnnotationUsage \
	./metadata/internal/search:FuzzIndexSound \
	./metadata/internal/state:FuzzCanonicalName \
	./metadata/internal/password:FuzzVerify \
	./metadata/internal/threading:FuzzBaseSubject \
	./metadata/internal/threading:FuzzParseEnvelope \
	./metadata/internal/threading:FuzzReferences \
	./bench/corpus:FuzzMbox \
	./bench/target:FuzzReadFetch \
	./bench/target:FuzzReadSearch \
	./blobstore:FuzzValidID
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg)"; \
		go test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

clean:
	rm -f postbus
