# Two commands do everything (see README):
#   make lab    set up .venv if needed and open the course in JupyterLab
#   make test   set up .venv if needed and run every test
# Without make: python3 tools/env.py lab | test
PYTHON ?= python3
ARGS ?=

.PHONY: lab test setup build bench clean

lab:
	$(PYTHON) tools/env.py lab $(ARGS)

test:
	$(PYTHON) tools/env.py test $(ARGS)

setup:
	$(PYTHON) tools/env.py setup

build:
	$(PYTHON) tools/env.py setup && .venv/bin/python -m mlp_course build

bench:
	$(PYTHON) tools/env.py setup && for f in benchmarks/bench_*.py; do .venv/bin/python $$f || exit 1; done

clean:
	rm -rf .venv .pytest_cache .hypothesis
