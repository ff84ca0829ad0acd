# The two commands of the README (`make dev`, `make test`) and the checks CI
# runs. Everything here builds kiln on QuickJS by default, which needs
# nothing from outside the package registries. `ENGINE=v8` builds and tests
# kiln on V8 instead: the v8 crate links its prebuilt static library, which
# it downloads from GitHub unless RUSTY_V8_ARCHIVE names a copy.

ENGINE   ?= quickjs
ifeq ($(ENGINE),quickjs)
ENGINE_FEATURES := --no-default-features --features quickjs
else ifeq ($(ENGINE),v8)
ENGINE_FEATURES := --no-default-features --features v8
else
$(error ENGINE must be quickjs or v8, not "$(ENGINE)")
endif
CARGO    ?= cargo
EXAMPLE  ?= examples/hello

.PHONY: dev test build setup reference check-v8 lint ci fuzz

setup:
	@build/setup

build: setup
	$(CARGO) build --locked -p kiln $(ENGINE_FEATURES)

## Serve the bundled example worker on http://127.0.0.1:8787
dev: build
	$(CARGO) run --locked -p kiln $(ENGINE_FEATURES) -- dev $(EXAMPLE)

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
	build/vendor-cldr --check
	$(CARGO) test --locked --workspace $(ENGINE_FEATURES)
	python3 -m unittest discover -s bench -p 'test_*.py'

check-v8:
	build/check-v8

## Fuzz the frame reader, Close parser, configuration and compatibility
## resolver, FUZZ_SECONDS (60) each; not part of `make test`
fuzz:
	build/fuzz

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets $(ENGINE_FEATURES) -- -D warnings

ci: test check-v8 lint
