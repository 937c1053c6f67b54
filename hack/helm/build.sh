#!/usr/bin/env bash
# build.sh: builds (or reuses) helm from its Go module into the tools cache and
# prints the binary's path. The module pin lives in go.mod beside this file,
# apart from hack/tools, whose Kubernetes pins are older than helm's.
set -euo pipefail
HELM_VERSION=v3.22.0
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SWITCHYARD_CACHE_DIR:-$HOME/.cache/switchyard}
BIN=$CACHE/helm-$HELM_VERSION
if [ ! -x "$BIN/helm" ]; then
	echo "helm: building helm $HELM_VERSION (cold: a few minutes)" >&2
	mkdir -p "$BIN"
	# As helm's own Makefile does: the Kubernetes version that `helm template` and
	# `helm lint` assume is the minor of the k8s.io modules it is built with.
	local_minor=$(cd "$DIR" && go list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)
	(cd "$DIR" && go build -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
		-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
		-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$local_minor \
		-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$local_minor" \
		-o "$BIN/helm.tmp" helm.sh/helm/v3/cmd/helm)
	mv "$BIN/helm.tmp" "$BIN/helm"
fi
echo "$BIN/helm"
