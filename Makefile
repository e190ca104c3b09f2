# sigtfb — build, test, demo, bench.
# `make demo` and `make test` work on a fresh Debian machine with Swift: missing system
# libraries are installed first (as root, with apt-get).

SWIFT        ?= swift
# Release builds target the host CPU on x86-64 (AVX2/FMA where present); other machines get
# the portable generic SIMD path.
ARCH         := $(shell uname -m)
ifeq ($(ARCH),x86_64)
HOST_FLAGS   ?= -Xswiftc -target-cpu -Xswiftc native -Xcc -march=native
else
HOST_FLAGS   ?=
endif
RELEASE      := $(SWIFT) build -c release $(HOST_FLAGS)
BIN          := .build/release/sigtfb
DEMO_OUT     ?= demo-out
APT_PACKAGES := libopenblas-dev libhdf5-dev pkg-config zlib1g-dev

.PHONY: deps build release test test-workflow workflow-check demo bench clean

deps:
	@if pkg-config --exists hdf5 openblas zlib 2>/dev/null; then \
	    echo "deps: system libraries present"; \
	else \
	    echo "deps: installing $(APT_PACKAGES)"; \
	    if [ "$$(id -u)" != 0 ]; then echo "deps: run as root (apt-get) or install: $(APT_PACKAGES)" >&2; exit 1; fi; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(APT_PACKAGES); \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(RELEASE)

# The workflow test runs first so that the last lines are swift test's summary.
test: deps
	$(SWIFT) build
	@$(MAKE) --no-print-directory workflow-check
	$(SWIFT) test --disable-swift-testing

# The bundled example: the demo benchmark's CEBPB peaks (3 cell types, real JASPAR motifs planted
# in a synthetic genome), gzipped under Tests/Fixtures/preprocess.
DEMO_DATA    := Tests/Fixtures/preprocess
DEMO_TFAB    := CEBPB.ENCAB102SYN

demo: release
	@mkdir -p $(DEMO_OUT)
	$(BIN) run --peaks $(DEMO_DATA)/peaks/$(DEMO_TFAB) --genome $(DEMO_DATA)/genome.fa.gz \
	    --chrom-sizes $(DEMO_DATA)/chrom.sizes --out $(DEMO_OUT)/$(DEMO_TFAB) --tf CEBPB --ab ENCAB102SYN \
	    --trials 15 --max-epochs 60 --seed 1
	@echo "demo: report at $(DEMO_OUT)/$(DEMO_TFAB)/report.html"

# The Snakemake workflow on two demo TF-ABs plus a Slurm dry-run. Snakemake comes from PyPI;
# where it cannot be installed the check says so and is skipped.
test-workflow: build workflow-check

workflow-check:
	@if ! command -v snakemake >/dev/null 2>&1; then \
	    pip install -q snakemake snakemake-executor-plugin-slurm || true; \
	fi
	@if command -v snakemake >/dev/null 2>&1; then \
	    SIGTFB=$(CURDIR)/.build/debug/sigtfb bash workflow/test_workflow.sh; \
	else \
	    echo "workflow check SKIPPED: snakemake could not be installed from PyPI"; \
	fi

# The build's messages go to stderr, so that `make bench > bench.json` holds the JSON alone.
bench:
	@$(MAKE) --no-print-directory release >&2
	@$(BIN) bench

clean:
	rm -rf .build $(DEMO_OUT)
