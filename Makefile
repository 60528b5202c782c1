# `make demo` and `make test` create .venv and install plait on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test docs bench install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch is pinned first so that nothing below can pull another (CUDA) release.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test,examples,docs]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

# lint and format, types, the docstrings' examples, then the suite (two workers).
# tests/doctest_pending.txt lists the modules whose examples are not yet verified.
LINT := plait tests bench examples scripts
test: $(STAMP)
	$(PY) -m ruff check $(LINT)
	$(PY) -m ruff format --check $(LINT)
	$(PY) -m mypy
	$(PY) -m pytest --doctest-modules plait -p no:cacheprovider \
	    $(addprefix --ignore=,$(shell cat tests/doctest_pending.txt))
	$(PY) -m pytest tests -n 2 --dist loadfile

# the documentation site, into build/site; a warning fails the build
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

bench: $(STAMP)
	# the closest peer, a third column when it installs (it needs only torch, already here)
	$(PY) -m pip install --quiet 'pytorch-symbolic>=1.2' || echo 'pytorch-symbolic did not install: its column stays empty'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
