# CX Lens: `make run` starts the app on the bundled sample; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | md5sum | cut -c1-8)
SPARK_STAMP := $(VENV)/.spark-$(shell cat requirements-spark.txt | md5sum | cut -c1-8)
PORT ?= 8501

.PHONY: setup spark java system-packages run test lint format chromium bench sample clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# pyspark for preparing on Spark and its cross-engine tests: `make test` installs it, `make run` does not
$(SPARK_STAMP): requirements-spark.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	rm -f $(VENV)/.spark-*
	touch $(SPARK_STAMP)

spark: $(SPARK_STAMP)

java:
	@if command -v java >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian's Java for the Spark tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	else \
		echo "The Spark tests need Java 17+: run 'sudo apt-get install default-jre-headless', then 'make test' again."; exit 1; \
	fi

run: setup
	$(BIN)/python -m dashboard serve --server.port $(PORT)

chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Browser tests need Debian's chromium: run 'sudo apt-get install chromium', then 'make test' again."; exit 1; \
	fi

# Debian's packages one apt at a time (apt holds a lock), while pip fills the venv beside them
system-packages:
	@$(MAKE) --no-print-directory java
	@$(MAKE) --no-print-directory chromium

test:
	@$(MAKE) --no-print-directory -j2 spark system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python -m dashboard bench --customers 1000000

sample: setup
	$(BIN)/python -m dashboard sample --customers 20000 --seed 7

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/screenshots
