# Everyday targets. `make test` is the README's test command, and CI's.
GO ?= go

.PHONY: test lint run run-orderapp build e2e docker

# Every test; installs redis-server and redis-tools first when they are
# missing (see scripts/test.sh).
test:
	GO="$(GO)" sh scripts/test.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build ./...

run-orderapp:
	$(GO) run ./cmd/orderapp

# The product: the proxy in front of an in-process orderapp, memory store
# unless REDIS is set (make run REDIS=redis://127.0.0.1:6379).
run:
	$(GO) run ./cmd/idemproxy -config config.yaml -demo $(if $(REDIS),-redis $(REDIS))

# End-to-end tests only: real redis-server, orderapp and idemproxy processes.
e2e:
	$(GO) test -race -count=1 ./internal/e2e

docker:
	docker build -t idemproxy .

# The benchmark of BENCHMARKS.md (about 3.5 minutes): redis-server, a
# 3-master Redis Cluster (redis-cli creates it), a trivial upstream, a plain
# reverse proxy and idemproxy, driven by wrk (apt-get install wrk
# redis-tools); prints the summary against the targets, then the tables
# BENCHMARKS.md quotes. BENCHFLAGS passes
# flags to idembench (e.g. BENCHFLAGS='-rounds 5').
.PHONY: bench
bench:
	$(GO) build -o bin/idemproxy ./cmd/idemproxy
	$(GO) build -o bin/idembench ./cmd/idembench
	uptime
	bin/idembench run -idemproxy bin/idemproxy $(BENCHFLAGS)

# The fault matrix (RELIABILITY.md): real redis-server, orderapp and idemproxy
# processes, faults injected by internal/faultproxy. `make test` runs its
# untagged subset; this runs all of it, in under 15 minutes.
.PHONY: chaos
chaos:
	$(GO) test -tags chaos -count=1 -timeout 15m -v ./internal/faultproxy ./internal/chaos
