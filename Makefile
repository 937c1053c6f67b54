# Switchyard: `make run` starts the product, `make test` installs what the tests
# need and runs them against a local Kubernetes + Argo Rollouts control plane.
SHELL := /bin/bash
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= data
CLUSTER := hack/cluster/cluster.sh
# The build's identity (switchyard version, GET /api/v1/version): the release from git
# describe and the commit; a plain go build falls back to the toolchain's vcs stamp.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
VERSION_PKG := github.com/switchyard/switchyard/internal/version
LDFLAGS := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Revision=$(REVISION)
# Where build puts the binary, and where install-kubectl-plugin links kubectl-switchyard to
# it (a directory on PATH).
BIN_DIR ?= bin
PLUGIN_DIR ?= $(HOME)/.local/bin

.PHONY: build run demo test test-unit bench image helm cluster-build cluster-up cluster-up-second cluster-down clean install-kubectl-plugin

# What `make image` names the image (its OCI labels take VERSION and REVISION above).
IMAGE ?= switchyard:$(VERSION)

build: # build bin/switchyard, stamped with git describe
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN_DIR)/switchyard ./cmd/switchyard

install-kubectl-plugin: build # link kubectl-switchyard into $(PLUGIN_DIR): kubectl switchyard …
	mkdir -p $(PLUGIN_DIR)
	ln -sf $(abspath $(BIN_DIR)/switchyard) $(PLUGIN_DIR)/kubectl-switchyard
	printf '#!/bin/sh\n# kubectl completes "kubectl switchyard …" through this\nexec "%s" __complete "$$@"\n' \
		$(abspath $(BIN_DIR)/switchyard) > $(PLUGIN_DIR)/kubectl_complete-switchyard
	chmod +x $(PLUGIN_DIR)/kubectl_complete-switchyard
	@echo "kubectl switchyard is $(PLUGIN_DIR)/kubectl-switchyard (that directory must be on PATH)"

image: # build the container image: bin/image/oci (OCI layout) and bin/image/switchyard.tar (docker/podman load)
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o bin/image/switchyard ./cmd/switchyard
	cd hack/image && SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)} \
		$(GO) run . --binary ../../bin/image/switchyard --layout ../../bin/image/oci --tarball ../../bin/image/switchyard.tar \
		--tag $(IMAGE) --version $(VERSION) --revision $(REVISION)

helm: # build (or reuse) helm from its Go module into the tools cache; prints its path
	@hack/helm/build.sh

run: build # start switchyard serve on SQLite in $(DATA_DIR)
	./bin/switchyard serve --addr $(ADDR) --data-dir $(DATA_DIR)

demo: build cluster-up # local cluster + switchyard serve with that cluster registered
	SWITCHYARD_DEMO_KUBECONFIG=$$($(CLUSTER) kubeconfig switchyard) \
		./bin/switchyard serve --addr $(ADDR) --data-dir $(DATA_DIR)

test: # everything: deps, local clusters, PostgreSQL, unit + integration tests
	bash hack/test.sh

bench: # Switchyard at scale beside Argo's tools, one table; BENCH_ARGS="--jobs 10000 --per-namespace 500" for the big case
	bash hack/bench/bench.sh $(BENCH_ARGS)

test-unit: # tests that need no cluster and no PostgreSQL
	$(GO) test ./...

cluster-build: # build (or reuse) the control-plane binaries
	$(CLUSTER) build

cluster-up: # start the local cluster "switchyard" (Argo Rollouts, Istio CRDs, demo workload)
	$(CLUSTER) up switchyard

cluster-up-second: # start a second cluster "switchyard-2" without Argo Rollouts
	$(CLUSTER) up switchyard-2 --no-argo --no-istio

cluster-down: # stop every local cluster
	$(CLUSTER) down --all

clean: cluster-down
	rm -rf bin .run
