# The two commands in the README are `make demo` and `make test`; the rest are conveniences.
SHELL := /bin/bash
export DAGSTER_HOME := $(CURDIR)
export BROWSER_PATH ?= /usr/bin/chromium
PY := .venv/bin/python

.PHONY: setup demo test ui generate run papers status report bench bench-validation lint clean

setup:
	@scripts/bootstrap.sh

demo: setup   ## national synthetic data → DuckDB → contracts → measures → dashboards → board papers
	@$(PY) -m pipelines.cli demo --preset national --years 5

test: setup
	@$(PY) -m compileall -q pipelines tests   # bytecode once, not in every worker and code server
	@$(PY) -m pytest -q -n 2 --dist loadgroup --durations=20

ui: setup     ## the Dagster UI on http://127.0.0.1:3000 (localhost only) and the daemon (sensors, schedule)
	@.venv/bin/dagster dev -h 127.0.0.1 -p 3000

generate: setup
	@$(PY) -m pipelines.cli generate --preset $${PRESET:-small} --years $${YEARS:-2}

run: setup
	@$(PY) -m pipelines.cli run

papers: setup  ## board-paper PDFs of the pages that changed since they were last printed
	@$(PY) -m pipelines.cli papers

status: setup
	@$(PY) -m pipelines.cli status

report: setup
	@$(PY) -m pipelines.cli report

bench: setup  ## national x YEARS (default 10): floor, rebuild, new quarter, pandas, releases, scale table (SCALES=1,3,10 adds runs)
	@$(PY) -m benchmarks.bench_pipeline --years $${YEARS:-10} --incremental --scale $${SCALES:-1} $${BENCH_ARGS:-}

bench-validation: setup  ## contract validation alone on national data (issue #4 targets)
	@$(PY) -m benchmarks.bench_validation

lint: setup
	@.venv/bin/ruff check pipelines tests

clean:
	rm -rf data dashboards/output .dagster_home
