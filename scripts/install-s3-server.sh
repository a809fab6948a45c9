#!/usr/bin/env bash
# Installs the S3 server the storage tests run against: versitygw (Versity S3 Gateway, posix backend),
# built with `go install` from the Go module proxy. Idempotent: does nothing when the pinned version is
# already installed. Prints the binary's path last. Override the version with VERSITYGW_VERSION.
# test/helpers/s3-server.ts finds the binary via $VERSITYGW_BIN, $PATH, $(go env GOBIN) or $(go env GOPATH)/bin.
set -euo pipefail

VERSION="${VERSITYGW_VERSION:-v1.8.0}"
MODULE="github.com/versity/versitygw"

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    echo "install-s3-server: Go not found; installing golang-go from Debian (the toolchain the module needs is fetched by go itself)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >&2
  fi
fi

BIN_DIR="$(go env GOBIN)"
if [ -z "$BIN_DIR" ]; then BIN_DIR="$(go env GOPATH)/bin"; fi
BIN="$BIN_DIR/versitygw"

installed_version() {
  go version -m "$BIN" 2>/dev/null | awk -v m="$MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

if [ -x "$BIN" ] && [ "$(installed_version)" = "$VERSION" ]; then
  echo "install-s3-server: versitygw $VERSION already installed" >&2
else
  echo "install-s3-server: building versitygw $VERSION with go install (about 2 minutes on 2 cores)" >&2
  start=$(date +%s)
  GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" \
    go install "$MODULE/cmd/versitygw@$VERSION"
  echo "install-s3-server: built in $(( $(date +%s) - start ))s" >&2
fi

echo "$BIN"
