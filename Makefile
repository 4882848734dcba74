# Developer shortcuts. The README's two quick-start commands need none of this.
PY ?= .venv/bin/python
BABEL = $(PY) -m babel.messages.frontend

.PHONY: catalogs lint test

# Re-extract the English msgids and merge them into every language's catalog.
catalogs:
	$(BABEL) extract -F locales/babel.cfg -k N_ --no-location --sort-output --omit-header -o locales/messages.pot .
	$(BABEL) update -i locales/messages.pot -d locales --ignore-obsolete --ignore-pot-creation-date

lint:
	.venv/bin/ruff check . && .venv/bin/mypy

test:
	.venv/bin/pytest
