# Two commands set everything up on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# One test process per core (pytest-xdist); `make test PYTEST_WORKERS=0` runs in this process.
PYTEST_WORKERS ?= auto

.PHONY: run test lint messages clean-venv

$(VENV)/.created:
	@python=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV) && $(PY) -m pip install -q --upgrade pip && touch $@

# Reinstall only when pyproject.toml changed.
$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

run: $(VENV)/.installed
	@scripts/serve

test: $(VENV)/.installed-test
	@scripts/ensure-chromium
	@scripts/ensure-poppler
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

# Regenerate and compile the catalogs (needs GNU gettext; the compiled files are committed).
# Strings are written in Russian; locale/en translates them all, locale/ru holds only the three
# Russian plural forms of each ngettext string (soglasie/tests/test_i18n.py checks both).
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en --ignore='.venv/*' --ignore='var/*' --ignore='bench/*' --no-obsolete
	$(PY) manage.py compilemessages -l en -l ru --ignore='.venv/*'

clean-venv:
	rm -rf $(VENV)
