#!/usr/bin/env bash
# Installs the pinned versitygw (an S3-compatible gateway over a local
# directory) into <repo>/.tools/bin if it is not there yet, and prints the
# absolute path of the binary on stdout (nothing else goes to stdout).
#
# Used by blobstore/s3test to run the S3 conformance tests against a real S3
# protocol implementation (real SigV4 checks). CI runs on fresh machines, so
# this must install, not merely find, the binary. A cold build takes ~2 min.
#
# Usage: scripts/install-versitygw.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VERSITYGW_VERSION=v1.8.0
bin="$PWD/.tools/bin"
exe="$bin/versitygw"
stamp="$bin/versitygw.version"
mkdir -p "$bin"
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:$PATH"
fi
# The stamp records which version the binary is, so bumping the pin reinstalls.
if [ ! -x "$exe" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$VERSITYGW_VERSION" ]; then
  # Serialise concurrent installers (several test binaries may start at once).
  if command -v flock >/dev/null; then
    exec 9>"$bin/.versitygw.lock"
    flock 9
  fi
  if [ ! -x "$exe" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$VERSITYGW_VERSION" ]; then
    echo "installing versitygw $VERSITYGW_VERSION into $bin" >&2
    GOBIN="$bin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
    echo "$VERSITYGW_VERSION" >"$stamp"
  fi
fi
echo "$exe"
