# Mekendesh — `make run` serves the site, `make test` runs the tests. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi.py

PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test setup translations compile-translations bot sender lint db-upgrade clean

run: setup
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/flask bootstrap --announce
	$(BIN)/flask serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/pytest -q $(PYTEST_ARGS)

setup: $(VENV)/.installed $(MO_FILES)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

# Extract every string, merge into the three catalogs, compile. Translate, then run again.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 --no-location \
	  --sort-output -o translations/messages.pot .
	@for l in ky ru en; do [ -f translations/$$l/LC_MESSAGES/messages.po ] || \
	  $(BIN)/pybabel init -i translations/messages.pot -d translations -l $$l; done
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
	  --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics

bot: setup
	@$(BIN)/flask bootstrap
	$(BIN)/python -m bot

sender: setup
	$(BIN)/python -m bot.sender

db-upgrade: setup
	$(BIN)/flask db upgrade

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(MO_FILES)
