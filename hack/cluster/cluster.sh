#!/usr/bin/env bash
# cluster.sh: the local control plane for Switchyard's development and tests.
#
#   hack/cluster/cluster.sh build                 build (or reuse) every binary
#   hack/cluster/cluster.sh up   [NAME] [flags]   start a cluster, print its kubeconfig path
#   hack/cluster/cluster.sh down [NAME|--all]     stop a cluster and remove its state
#   hack/cluster/cluster.sh kubeconfig [NAME]     print the kubeconfig path of a cluster
#   hack/cluster/cluster.sh argo-controller       print the path of the built rollouts-controller
#   hack/cluster/cluster.sh argo-plugin           build (or reuse) kubectl-argo-rollouts, print its path
#
# Flags of "up":  --no-argo   no Argo Rollouts (CRDs nor controller): a cluster without Argo
#                 --no-istio  no Istio CRDs
#                 --no-demo   no demo workload (namespace "demo")
#                 --nodes N   simulated nodes (default 3)
#                 --config F  another kwokctl configuration file (e.g. hack/bench/kwokctl.yaml)
#
# A cluster is real Kubernetes (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler built from k8s.io/kubernetes) with kwok simulating nodes and pods,
# plus the real Argo Rollouts controller. State lives in $SWITCHYARD_RUN_DIR
# (default: .run/ in the repository); binaries are cached in
# $SWITCHYARD_CACHE_DIR (default: $HOME/.cache/switchyard), keyed by version.
set -euo pipefail

KUBE_VERSION=v1.34.5
ARGO_VERSION=v1.10.1
KWOK_VERSION=v0.8.0
# etcd at the version k8s.io/kubernetes v1.34.5 requires. Debian's etcd 3.4.23 is too
# old for the apiserver's RequestWatchProgress, which kwok's informers (client-go
# v0.36, streaming lists) need: with it, pods took 20-60 s to get Ready.
ETCD_VERSION=v3.6.4

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${SWITCHYARD_CACHE_DIR:-$HOME/.cache/switchyard}
RUN=${SWITCHYARD_RUN_DIR:-$ROOT/.run}
KUBE_BIN=$CACHE/kubernetes-$KUBE_VERSION
ARGO_BIN=$CACHE/argo-rollouts-$ARGO_VERSION
KWOK_BIN=$CACHE/kwok-$KWOK_VERSION
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION
export KWOK_WORKDIR=$RUN/kwok

log() { echo "cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

# build compiles the control plane into the cache, once per version.
build() {
	if [ ! -x "$KUBE_BIN/kube-scheduler" ] || [ ! -x "$ARGO_BIN/rollouts-controller" ]; then
		log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION and rollouts-controller $ARGO_VERSION (cold: about 10 minutes)"
		local tmp
		tmp=$(mktemp -d "$CACHE/build.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE" && mktemp -d "$CACHE/build.XXXXXX"; })
		(cd "$ROOT/hack/tools" && go build \
			-ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34" \
			-o "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
			k8s.io/kubernetes/cmd/kube-scheduler)
		(cd "$ROOT/hack/tools" && go build -ldflags "-s -w -X github.com/argoproj/argo-rollouts/utils/version.gitTag=$ARGO_VERSION -X github.com/argoproj/argo-rollouts/utils/version.gitCommit=release -X github.com/argoproj/argo-rollouts/utils/version.gitTreeState=clean" \
			-o "$tmp/" github.com/argoproj/argo-rollouts/cmd/rollouts-controller)
		local moddir
		moddir=$(cd "$ROOT/hack/tools" && go list -m -f '{{.Dir}}' github.com/argoproj/argo-rollouts)
		mkdir -p "$KUBE_BIN" "$ARGO_BIN/crds"
		mv "$tmp"/kube-* "$KUBE_BIN/"
		cp "$moddir"/manifests/crds/*-crd.yaml "$ARGO_BIN/crds/"
		chmod -R u+w "$ARGO_BIN/crds"
		mv "$tmp/rollouts-controller" "$ARGO_BIN/"
		rm -rf "$tmp"
	fi
	if [ ! -x "$ETCD_BIN/etcd" ]; then
		log "building etcd $ETCD_VERSION"
		mkdir -p "$ETCD_BIN"
		(cd "$ROOT/hack/tools" && go build -ldflags "-s -w" -o "$ETCD_BIN/etcd.tmp" go.etcd.io/etcd/server/v3)
		mv "$ETCD_BIN/etcd.tmp" "$ETCD_BIN/etcd"
	fi
	if [ ! -x "$KWOK_BIN/kwokctl" ]; then
		log "building kwok and kwokctl $KWOK_VERSION"
		mkdir -p "$KWOK_BIN"
		GOBIN="$KWOK_BIN" go install \
			"sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
	fi
}

# argo_plugin builds kubectl-argo-rollouts (its dashboard included) from the
# module the controller is built from, once per version.
argo_plugin() {
	if [ ! -x "$ARGO_BIN/kubectl-argo-rollouts" ]; then
		log "building kubectl-argo-rollouts $ARGO_VERSION (a few minutes)"
		mkdir -p "$ARGO_BIN"
		(cd "$ROOT/hack/tools" && go build -ldflags "-s -w -X github.com/argoproj/argo-rollouts/utils/version.gitTag=$ARGO_VERSION -X github.com/argoproj/argo-rollouts/utils/version.gitCommit=release -X github.com/argoproj/argo-rollouts/utils/version.gitTreeState=clean" \
			-o "$ARGO_BIN/kubectl-argo-rollouts.tmp" github.com/argoproj/argo-rollouts/cmd/kubectl-argo-rollouts)
		mv "$ARGO_BIN/kubectl-argo-rollouts.tmp" "$ARGO_BIN/kubectl-argo-rollouts"
	fi
	echo "$ARGO_BIN/kubectl-argo-rollouts"
}

kubeconfig_path() { echo "$KWOK_WORKDIR/clusters/$1/kubeconfig.yaml"; }

kc() { kubectl --kubeconfig "$(kubeconfig_path "$NAME")" "$@"; }

# free_port prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# start_argo starts the Argo Rollouts controller against cluster $NAME in the background.
start_argo() {
	local dir=$RUN/argo/$NAME
	mkdir -p "$dir"
	kc apply --server-side --force-conflicts -f "$ARGO_BIN/crds/" >/dev/null
	kc create namespace argo-rollouts --dry-run=client -o yaml | kc apply -f - >/dev/null
	# (kubectl wait fails at once while the CRD has no conditions yet: poll instead.)
	for _ in $(seq 1 300); do
		[ "$(kc get crd rollouts.argoproj.io -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ] && break
		sleep 0.2
	done
	setsid "$ARGO_BIN/rollouts-controller" --kubeconfig "$(kubeconfig_path "$NAME")" \
		--leader-elect=false --metricsPort "$(free_port)" --healthzPort "$(free_port)" \
		--rollout-resync 60 --qps 100 --burst 200 \
		</dev/null >"$dir/controller.log" 2>&1 &
	echo $! >"$dir/controller.pid"
	for _ in $(seq 1 100); do
		grep -qi "Started rollout workers" "$dir/controller.log" 2>/dev/null && return
		kill -0 "$(cat "$dir/controller.pid")" 2>/dev/null || { tail -20 "$dir/controller.log" >&2; die "rollouts-controller exited"; }
		sleep 0.2
	done
	tail -20 "$dir/controller.log" >&2
	die "rollouts-controller did not start in 20s"
}

stop_argo() {
	local pidfile=$RUN/argo/$1/controller.pid
	if [ -f "$pidfile" ]; then
		local pid
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$pidfile"
	fi
}

# wait_ready waits until a Deployment in namespace $1 has all its replicas available.
wait_ready() {
	for _ in $(seq 1 300); do
		kc -n "$1" rollout status "$2" --timeout=1s >/dev/null 2>&1 && return
		sleep 0.3
	done
	die "$2 in namespace $1 did not become ready"
}

up() {
	local argo=1 istio=1 demo=1 nodes=3 configs=()
	NAME=switchyard
	while [ $# -gt 0 ]; do
		case $1 in
		--no-argo) argo=0 ;;
		--no-istio) istio=0 ;;
		--no-demo) demo=0 ;;
		--nodes) nodes=$2; shift ;;
		--config) configs+=(--config "$2"); shift ;;
		-*) die "unknown flag $1" ;;
		*) NAME=$1 ;;
		esac
		shift
	done
	build
	mkdir -p "$RUN"
	if [ -f "$(kubeconfig_path "$NAME")" ]; then
		if kc get --raw /readyz >/dev/null 2>&1 &&
			{ [ "$argo" = 0 ] || kill -0 "$(cat "$RUN/argo/$NAME/controller.pid" 2>/dev/null)" 2>/dev/null; }; then
			log "cluster $NAME is already up"
			kubeconfig_path "$NAME"
			return
		fi
		log "cluster $NAME exists but is not healthy: recreating it"
		down "$NAME"
	fi
	log "starting cluster $NAME"
	"$KWOK_BIN/kwokctl" create cluster --name "$NAME" --runtime binary --kubeconfig "" \
		--etcd-binary "$ETCD_BIN/etcd" \
		--kube-apiserver-binary "$KUBE_BIN/kube-apiserver" \
		--kube-controller-manager-binary "$KUBE_BIN/kube-controller-manager" \
		--kube-scheduler-binary "$KUBE_BIN/kube-scheduler" \
		--kwok-controller-binary "$KWOK_BIN/kwok" \
		--disable-qps-limits --wait 60s \
		--config "$ROOT/hack/cluster/stages.yaml" "${configs[@]}" >"$RUN/kwokctl-$NAME.log" 2>&1 ||
		{ tail -30 "$RUN/kwokctl-$NAME.log" >&2; die "kwokctl create cluster failed"; }
	"$KWOK_BIN/kwokctl" scale node --name "$NAME" --replicas "$nodes" >>"$RUN/kwokctl-$NAME.log" 2>&1
	for _ in $(seq 1 150); do
		kc get serviceaccount default -n default >/dev/null 2>&1 && break
		sleep 0.2
	done
	[ "$istio" = 1 ] && kc apply --server-side -f "$ROOT/hack/cluster/istio-crds.yaml" >/dev/null
	[ "$argo" = 1 ] && start_argo
	if [ "$demo" = 1 ]; then
		# Pods are refused until the namespace's default ServiceAccount exists, and the
		# ReplicaSet controller then backs off for a minute: create the namespace first.
		kc create namespace demo >/dev/null
		for _ in $(seq 1 100); do
			kc -n demo get serviceaccount default >/dev/null 2>&1 && break
			sleep 0.1
		done
		kc apply -f "$ROOT/hack/cluster/demo.yaml" >/dev/null
		wait_ready demo deployment/web
	fi
	log "cluster $NAME is up (argo=$argo istio=$istio demo=$demo)"
	kubeconfig_path "$NAME"
}

down() {
	local names=("$@")
	if [ "${1:-}" = "--all" ] || [ $# = 0 ]; then
		names=()
		for d in "$KWOK_WORKDIR"/clusters/*/ "$RUN"/argo/*/; do
			[ -d "$d" ] && names+=("$(basename "$d")")
		done
	fi
	for n in $(printf '%s\n' "${names[@]}" | sort -u); do
		stop_argo "$n"
		if [ -d "$KWOK_WORKDIR/clusters/$n" ]; then
			log "stopping cluster $n"
			"$KWOK_BIN/kwokctl" delete cluster --name "$n" >/dev/null 2>&1 || true
		fi
		# Anything kwokctl missed (a half-created cluster) still has its workdir on the command line.
		pkill -f "$KWOK_WORKDIR/clusters/$n/" 2>/dev/null || true
		rm -rf "$KWOK_WORKDIR/clusters/$n" "$RUN/argo/$n"
	done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
build) build ;;
up) up "$@" ;;
down) down "$@" ;;
kubeconfig) kubeconfig_path "${1:-switchyard}" ;;
argo-controller) echo "$ARGO_BIN/rollouts-controller" ;;
argo-plugin) argo_plugin ;;
*) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
