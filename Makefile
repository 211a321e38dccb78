# Everyday targets. The README's test command is `make test`'s recipe.
GO ?= go

.PHONY: test lint run run-orderapp build

test:
	$(GO) test -race -shuffle=on -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build ./...

run-orderapp:
	$(GO) run ./cmd/orderapp
