# twisted-fast developer commands (uvloop-style).
#
#   make bench          the side-by-side benchmark, pure Twisted vs twisted-fast
#   make test           every test: C build with -Werror, suite on C and on the
#                       fallback, Twisted's own suites, oldest supported Twisted
#   make debug          rebuild the extension as a debug build (-O0 -g3, counters)
#   make clean
#
# Each target sets itself up: a virtualenv with pinned dependencies, then the
# extension built in place.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OLDEST_VENV ?= .venv-oldest

SOURCES := $(wildcard src/*.c src/*.h)

.PHONY: test test-oldest bench debug build clean

$(VENV)/.installed: requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/test.txt
	touch $@

$(OLDEST_VENV)/.installed: requirements/test-oldest.txt
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -q -r requirements/test-oldest.txt
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed requirements/bench.txt
	$(PY) -m pip install -q -r requirements/bench.txt
	touch $@

build: $(VENV)/.installed
	TWISTED_FAST_WERROR=1 $(PY) setup.py -q build_ext --inplace --force

test: build
	$(PY) -m pytest -q
	TWISTED_FAST_NO_EXTENSIONS=1 $(PY) -m pytest -q -m "not upstream"
	$(MAKE) test-oldest

test-oldest: build $(OLDEST_VENV)/.installed
	$(OLDEST_VENV)/bin/python -m pytest -q -p no:cacheprovider

bench: build $(VENV)/.bench-installed
	$(PY) -m twisted_fast.bench $(BENCH_ARGS)

debug: $(VENV)/.installed
	TWISTED_FAST_DEBUG=1 TWISTED_FAST_WERROR=1 $(PY) setup.py -q build_ext --inplace --force

clean:
	rm -rf build dist *.egg-info twisted_fast/*.so .pytest_cache .hypothesis $(VENV) $(OLDEST_VENV)
	find . -name __pycache__ -prune -exec rm -rf {} +
