#!/usr/bin/env bash
# The test command of postbus (README, `make test`, .ci/run): installs the
# pinned tools the tests need, checks formatting, vet, staticcheck and the
# generated code, then runs every test. The tests themselves start and stop
# the real servers they use (postbus, versitygw S3, Dovecot where needed) on
# 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
STATICCHECK_VERSION=v0.8.2

step() { printf '\n== %s\n' "$*"; }

step "tools"
bash scripts/install-versitygw.sh >/dev/null
[ -x .tools/bin/staticcheck ] || GOBIN="$PWD/.tools/bin" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 >/dev/null; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '\.pb\.go$') 2>&1 || true)
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

step "generated code is current"
bash scripts/genproto.sh
if ! git diff --quiet -- proto/; then
  echo "proto/ differs from what scripts/genproto.sh generates:"; git diff --stat -- proto/; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
staticcheck ./...

step "go test"
go test -count=1 -timeout 15m ./... 2>&1 | tee .tools/test.log
