#!/usr/bin/env bash
# build.sh: builds (or reuses) Prometheus, the metrics server the Prometheus-kind
# check tests query, from its Go module into the tools cache, once per version, and
# prints the binary's path.
#
#   hack/prometheus/build.sh      build (or reuse) Prometheus, print its path
#
# Prometheus's module is versioned v0.3XX.Y for release 3.XX.Y. Its dependency graph
# is large, so the build runs in a throw-away module of its own under the cache
# (GOFLAGS=-mod=mod resolves it there) instead of a go.sum kept in this repository.
# The console's web assets are not built in (no builtinassets tag): the tests use the
# HTTP API only. It builds at low priority (nice).
set -euo pipefail
PROMETHEUS_VERSION=v0.316.0 # = Prometheus 3.16.0
CACHE=${SWITCHYARD_CACHE_DIR:-$HOME/.cache/switchyard}
BIN=$CACHE/prometheus-$PROMETHEUS_VERSION
if [ ! -x "$BIN/prometheus" ]; then
	echo "prometheus: building prometheus $PROMETHEUS_VERSION (cold: several minutes)" >&2
	mkdir -p "$BIN/module"
	cd "$BIN/module"
	[ -f go.mod ] || go mod init switchyard.local/prometheus-build >/dev/null 2>&1
	export GOFLAGS=-mod=mod
	go get "github.com/prometheus/prometheus@$PROMETHEUS_VERSION" >&2
	minor=${PROMETHEUS_VERSION#v0.} # 316.0
	release="$((${minor%%.*} / 100)).$((${minor%%.*} % 100)).${minor#*.}" # 3.16.0
	# remove_all_sd leaves out every service discovery but static and file (the
	# tests scrape static targets): no cloud SDKs to compile.
	CGO_ENABLED=0 nice -n 10 go build -trimpath -tags remove_all_sd -ldflags "-s -w \
		-X github.com/prometheus/common/version.Version=$release" \
		-o "$BIN/prometheus.tmp" github.com/prometheus/prometheus/cmd/prometheus
	mv "$BIN/prometheus.tmp" "$BIN/prometheus"
fi
echo "$BIN/prometheus"
