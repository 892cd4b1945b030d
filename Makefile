# Two commands do everything (see README):
#   make lab    set up .venv with the learner's requirements and open the course in JupyterLab
#   make test   set up .venv with the development requirements and run every test
# Without make: python3 tools/env.py lab | test   (Windows: py tools\env.py lab | test)
PYTHON ?= python3
ARGS ?=

.PHONY: lab test setup setup-dev build bench clean

lab:
	$(PYTHON) tools/env.py lab $(ARGS)

test:
	$(PYTHON) tools/env.py test $(ARGS)

setup:
	$(PYTHON) tools/env.py setup

setup-dev:
	$(PYTHON) tools/env.py setup --dev

build:
	$(PYTHON) tools/env.py setup --dev && .venv/bin/python -m mlp_course build

bench:
	$(PYTHON) tools/env.py setup --dev && for f in benchmarks/bench_*.py; do .venv/bin/python $$f || exit 1; done

clean:
	rm -rf .venv .pytest_cache .hypothesis
