# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DIR ?= demo-arbeidsmappe

.PHONY: demo test bench fuzz venv clean

# pip's and setuptools' own (English) notes go to .venv/install.log; shown only when it fails
$(BIN)/excelkort: pyproject.toml
	@echo "Installerer excelkort i $(VENV) (logg: $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@$(BIN)/pip install --quiet -e '.[test]' >> $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $@

venv: $(BIN)/excelkort

demo: venv
	$(BIN)/excelkort demo $(DEMO_DIR)

test: venv
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python benchmarks/run.py

fuzz: venv
	$(BIN)/python -m tests.fuzz --cases 10000 --seed 1

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .hypothesis
