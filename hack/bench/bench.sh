#!/usr/bin/env bash
# bench.sh (make bench): brings up a local cluster of its own with enough
# simulated nodes for the pods and a Service range for thousands of Services,
# builds switchyard and kubectl-argo-rollouts (cached), runs hack/bench, which
# prints the table, and tears the cluster down.
#
#   hack/bench/bench.sh [--jobs N] [--per-namespace N] [--replicas N] [other hack/bench flags]
#
# Environment: BENCH_CLUSTER (cluster name, default bench-switchyard),
# BENCH_KEEP=1 (leave the cluster up), SWITCHYARD_RUN_DIR (cluster state,
# default .run/bench), SWITCHYARD_CACHE_DIR (binaries, as hack/cluster/cluster.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export SWITCHYARD_RUN_DIR=${SWITCHYARD_RUN_DIR:-$ROOT/.run/bench}
NAME=${BENCH_CLUSTER:-bench-switchyard}
CLUSTER=hack/cluster/cluster.sh

jobs=100 replicas=1
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) jobs=$2; shift ;;
	--jobs=*) jobs=${1#*=} ;;
	--replicas) replicas=$2; shift ;;
	--replicas=*) replicas=${1#*=} ;;
	-h|--help) go run ./hack/bench -h; exit 0 ;;
	esac
	shift
done
# kwok's nodes take 110 pods each; a switch runs blue and green at once.
nodes=$(( jobs * replicas * 2 / 100 + 2 ))

rm -rf "$SWITCHYARD_RUN_DIR/work"
mkdir -p "$SWITCHYARD_RUN_DIR/work"
go build -o bin/switchyard ./cmd/switchyard
go build -o bin/bench ./hack/bench
plugin=$($CLUSTER argo-plugin)
[ "${BENCH_KEEP:-}" = 1 ] || trap '$CLUSTER down "$NAME"' EXIT
kubeconfig=$($CLUSTER up "$NAME" --no-istio --no-demo --nodes "$nodes" --config "$ROOT/hack/bench/kwokctl.yaml")
bin/bench --kubeconfig "$kubeconfig" --switchyard bin/switchyard --plugin "$plugin" --work "$SWITCHYARD_RUN_DIR/work" "${args[@]}"
