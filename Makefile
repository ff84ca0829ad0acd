# The two commands of the README (`make dev`, `make test`) and the checks CI
# runs. Everything here builds kiln on QuickJS, which needs nothing from
# outside the package registries; see the README for building with V8.

ENGINE   := --no-default-features --features quickjs
CARGO    ?= cargo
EXAMPLE  ?= examples/hello

.PHONY: dev test build setup reference check-v8 lint ci fuzz

setup:
	@build/setup

build: setup
	$(CARGO) build --locked -p kiln $(ENGINE)

## Serve the bundled example worker on http://127.0.0.1:8787
dev: build
	$(CARGO) run --locked -p kiln $(ENGINE) -- dev $(EXAMPLE)

# workerd, the reference the differential tests compare kiln with, the
# browser tests' Chromium (Debian's) with playwright-core to drive it, and
# the npm packages of the projects kiln's tests run unchanged.
reference:
	build/setup-browser
	cd tests/reference && npm install --no-audit --no-fund --silent
	cd tests/projects/hono-app && npm ci --no-audit --no-fund --silent

## Run the whole test suite (unit tests and end-to-end tests over sockets)
test: build reference
	build/vendor-node --check
	$(CARGO) test --locked --workspace $(ENGINE)
	python3 -m unittest discover -s bench -p 'test_*.py'

check-v8:
	build/check-v8

## Fuzz the frame reader, Close parser, configuration and compatibility
## resolver, FUZZ_SECONDS (60) each; not part of `make test`
fuzz:
	build/fuzz

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets $(ENGINE) -- -D warnings

ci: test check-v8 lint
