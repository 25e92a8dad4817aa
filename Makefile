# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test chaos soak audit bench scan lint typecheck check format clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed          ## serve the sample site, run one cycle, write digests to var/demo/outbox
	$(BIN)/radar demo

test: lint typecheck              ## lint, type-check, then the whole suite (SQLite and PostgreSQL)
	$(BIN)/pytest

chaos: $(VENV)/.installed         ## the reliability suite alone; writes its table into RELIABILITY.md
	RELIABILITY_REPORT=RELIABILITY.md $(BIN)/pytest tests/reliability

soak: $(VENV)/.installed          ## the chaos soak at full length (20 min, 4 workers); its row goes into RELIABILITY.md
	SOAK_SECONDS=1200 SOAK_WORKERS=4 RELIABILITY_REPORT=RELIABILITY.md $(BIN)/pytest tests/reliability/test_soak.py

audit: $(VENV)/.installed         ## known vulnerabilities in the installed dependencies (pip-audit)
	$(BIN)/python .ci/audit.py

scan: $(VENV)/.installed           ## wapiti + sqlmap against the web app (apt-get install wapiti sqlmap); writes SECURITY-SCAN.md
	$(BIN)/python -m tests.webscan

bench: $(VENV)/.installed          ## the benchmarks at full size; writes BENCHMARKS.md
	$(BIN)/python -m bench

lint: $(VENV)/.installed
	$(BIN)/ruff check worker tests bench .ci/audit.py

typecheck: $(VENV)/.installed
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff check --fix worker tests

clean:
	rm -rf $(VENV) var dist build .mypy_cache .pytest_cache .ruff_cache
