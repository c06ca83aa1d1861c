# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Every target creates .venv when it is missing and installs into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
# numba's on-disk cache lives beside the sources unless told otherwise; keep it out of the tree.
# numba re-checks only a kernel's own file, not the files of the kernels it calls, so the cache
# is keyed by a hash of all engine sources: an edit to any of them compiles afresh.
ENGINE_HASH := $(shell cat src/cllsim/engine/*.py | sha1sum | cut -c1-12)
export NUMBA_CACHE_DIR ?= $(CURDIR)/.venv/numba-cache/$(ENGINE_HASH)

.PHONY: install demo test verify bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

$(BENCH_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP) $(TEST_STAMP) $@

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m cllsim.demo --out out/demo

test: $(TEST_STAMP)
	$(PY) -m ruff check src tests bench verification
	$(PY) -m pytest -m "not slow" -q

verify: $(TEST_STAMP)
	$(PY) -m pytest -q
	$(PY) verification/run_all.py --out out/verification

bench: $(BENCH_STAMP)
	$(PY) bench/run.py --out BENCHMARKS.md

lint: $(TEST_STAMP)
	$(PY) -m ruff check src tests bench verification

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
