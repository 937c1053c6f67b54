# Switchyard: `make run` starts the product, `make test` installs what the tests
# need and runs them against a local Kubernetes + Argo Rollouts control plane.
SHELL := /bin/bash
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= data
CLUSTER := hack/cluster/cluster.sh

.PHONY: build run demo test test-unit image helm cluster-build cluster-up cluster-up-second cluster-down clean

# What `make image` stamps on the image (OCI labels) and names it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
IMAGE ?= switchyard:$(VERSION)

build: # build bin/switchyard
	$(GO) build -o bin/switchyard ./cmd/switchyard

image: # build the container image: bin/image/oci (OCI layout) and bin/image/switchyard.tar (docker/podman load)
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "-s -w" -o bin/image/switchyard ./cmd/switchyard
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
