#!/usr/bin/env bash
# test.sh (`make test`): installs what a fresh machine lacks, starts the local
# clusters and a throw-away PostgreSQL, runs every test, and tears all of it down,
# pass or fail.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUN=${SWITCHYARD_RUN_DIR:-$ROOT/.run}
export SWITCHYARD_RUN_DIR=$RUN
mkdir -p "$RUN"

log() { echo "test: $*" >&2; }

# Debian packages the tests need: PostgreSQL for the store tests, Chromium and its
# driver for the console tests. (The control plane, etcd included, is built from Go modules.)
install_packages() {
	local missing=()
	[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
	command -v chromium >/dev/null || missing+=(chromium)
	command -v chromedriver >/dev/null || missing+=(chromium-driver)
	command -v zsh >/dev/null || missing+=(zsh) # the CLI's zsh completion is syntax-checked
	command -v script >/dev/null || missing+=(bsdutils) # test/cli runs job watch on a pseudo-terminal
	command -v skopeo >/dev/null || missing+=(skopeo)   # test/install reads the image as podman would
	command -v kubectl >/dev/null || die "kubectl is missing"
	[ ${#missing[@]} = 0 ] && return
	[ "$(id -u)" = 0 ] || { log "missing packages ${missing[*]}: install them as root"; exit 1; }
	log "installing ${missing[*]}"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	(service postgresql stop || true) >/dev/null 2>&1
}

die() { log "error: $*"; exit 1; }

cleanup() {
	local rc=$?
	set +e
	hack/cluster/cluster.sh down --all
	[ -x hack/postgres.sh ] && hack/postgres.sh stop "$RUN/postgres" >/dev/null 2>&1
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

install_packages
start=$SECONDS
hack/cluster/cluster.sh build
log "control plane binaries ready ($((SECONDS - start)) s)"
# Dex, the OpenID provider of the sign-in tests, built from its Go module and cached.
start=$SECONDS
export SWITCHYARD_TEST_DEX
SWITCHYARD_TEST_DEX=$(hack/oidc/build-dex.sh)
log "dex ready ($((SECONDS - start)) s)"
# Prometheus, the metrics server of the Prometheus-kind check tests, built from its Go module and cached.
start=$SECONDS
export SWITCHYARD_TEST_PROMETHEUS
SWITCHYARD_TEST_PROMETHEUS=$(hack/prometheus/build.sh)
log "prometheus ready ($((SECONDS - start)) s)"
# helm, for the chart's tests (test/install), built from its Go module like the control plane.
export SWITCHYARD_TEST_HELM
SWITCHYARD_TEST_HELM=$(hack/helm/build.sh)

start=$SECONDS
export SWITCHYARD_TEST_KUBECONFIG SWITCHYARD_TEST_KUBECONFIG_NOARGO
SWITCHYARD_TEST_KUBECONFIG=$(hack/cluster/cluster.sh up switchyard)
SWITCHYARD_TEST_KUBECONFIG_NOARGO=$(hack/cluster/cluster.sh up switchyard-2 --no-argo --no-istio)
# Tests that need a second Argo controller (one run with --instance-id) start this binary.
export SWITCHYARD_TEST_ARGO_CONTROLLER
SWITCHYARD_TEST_ARGO_CONTROLLER=$(hack/cluster/cluster.sh argo-controller)
export SWITCHYARD_REQUIRE_CLUSTER=1
export SWITCHYARD_REQUIRE_TOOLS=1 # Chromium, bash and zsh: installed above, so a missing one fails
log "clusters up ($((SECONDS - start)) s)"

if [ -x hack/postgres.sh ]; then
	export SWITCHYARD_TEST_POSTGRES_URL
	SWITCHYARD_TEST_POSTGRES_URL=$(hack/postgres.sh start "$RUN/postgres")
	export SWITCHYARD_REQUIRE_POSTGRES=1
fi

go vet ./...
(cd hack/image && go vet ./...) # the image builder is a module of its own
# -p 1: the packages share two local clusters and two cores; one package at a time keeps
# the clusters responsive (cache syncs, probes) and the run deterministic.
go test -count=1 -p 1 -timeout 30m ${GOTESTFLAGS:-} ./...
