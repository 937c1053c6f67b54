#!/usr/bin/env bash
# build-dex.sh: builds Dex, the OpenID provider the OIDC tests sign in with, from its Go
# module (pinned in hack/oidc/go.mod) into the cache, once per version, and prints the
# path of the binary.
#
#   hack/oidc/build-dex.sh        build (or reuse) Dex, print its path
#
# Dex's v2 tags are not importable as a Go module (its module path has no /v2), so
# go.mod pins the commit of the v2.45.1 tag by its pseudo-version.
set -euo pipefail

DEX_TAG=v2.45.1
DEX_MODULE_VERSION=v0.0.0-20260303133905-11d2eeb52b42 # = DEX_TAG; keep in step with go.mod

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SWITCHYARD_CACHE_DIR:-$HOME/.cache/switchyard}
DEX_BIN=$CACHE/dex-$DEX_TAG

log() { echo "oidc: $*" >&2; }

pinned=$(cd "$DIR" && go list -m -f '{{.Version}}' github.com/dexidp/dex)
[ "$pinned" = "$DEX_MODULE_VERSION" ] || { log "error: go.mod pins dex $pinned, build-dex.sh says $DEX_MODULE_VERSION"; exit 1; }

if [ ! -x "$DEX_BIN/dex" ]; then
	log "building dex $DEX_TAG (cold: about 3 minutes)"
	mkdir -p "$DEX_BIN"
	# No cgo: the tests use Dex's in-memory storage, so its SQLite driver is not needed.
	(cd "$DIR" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$DEX_TAG" \
		-o "$DEX_BIN/dex.tmp" github.com/dexidp/dex/cmd/dex)
	mv "$DEX_BIN/dex.tmp" "$DEX_BIN/dex"
fi
echo "$DEX_BIN/dex"
