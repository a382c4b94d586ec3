#!/usr/bin/env bash
# Go toolchain for the Go binding (bindings/go) and its example: Debian's golang-go
# (Go 1.19 on Debian 12) when `go` is missing. Idempotent; needs the Debian mirror only
# the first time. The binding uses the standard library only, so no module proxy is
# needed afterwards (the Makefile runs go with GOPROXY=off).
set -euo pipefail

GO_DEB=golang-go=2:1.19~1   # pinned: Debian 12 (bookworm)

if command -v go >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "voiceflow go set-up: 'go' is missing; install Go >= 1.19 (Debian: apt-get install golang-go)" >&2
  exit 1
fi
echo "voiceflow go set-up: installing golang-go from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "$GO_DEB" >/dev/null ||
  { apt-get update >/dev/null && apt-get install -y --no-install-recommends "$GO_DEB" >/dev/null; }
go version
