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
# Debian packages the tests use, installed in one go when missing (the tests
# would install them one by one otherwise, contending for dpkg's lock):
# protoc for the generated-code check, Dovecot as the reference server of
# the bench, haproxy and etcd for the local cluster, Python for imaplib.
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v etcd >/dev/null || need+=(etcd-server etcd-client)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >/dev/null
fi
bash scripts/install-versitygw.sh >/dev/null
[ -x .tools/bin/staticcheck ] || GOBIN="$PWD/.tools/bin" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
# One postbus binary for the test packages that run it as a process.
go build -o .tools/bin/postbus ./cmd/postbus
export POSTBUS_BENCH_BIN="$PWD/.tools/bin/postbus" POSTBUS_BIN="$PWD/.tools/bin/postbus"

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
