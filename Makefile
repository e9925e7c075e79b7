# One command per habit. Every target sets itself up from a bare Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails, Slack posts, the daily report and the calendar feed: where `make run`
# serves, unless the environment says otherwise (a public name in front of it).
MOPSYNC_BASE_URL ?= http://$(HOST):$(PORT)
# The app's settings default to production (DEBUG off); on a laptop and in the tests it is
# on. The benchmark and the soak start their servers with DEBUG=0 themselves.
export DEBUG ?= 1

.PHONY: run test lint fmt migrate demo bench worker beat clean soak fuzz screenshots

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo --if-empty

# Without REDIS_URL (embedded): one process serves the site and runs beat's schedule
# in a thread; tasks run in-process. With REDIS_URL: the Procfile's web, worker and
# beat, side by side under honcho.
run: export MOPSYNC_BASE_URL := $(MOPSYNC_BASE_URL)
run: demo
	@echo "mopsync on http://$(HOST):$(PORT)/ — sign in as maya, ishaan, lata, omar or admin (password demo-pass-123)"
	@echo "emails and Slack posts link to $$MOPSYNC_BASE_URL"
	@if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL is set: starting web, worker and beat from the Procfile"; \
		PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start --port $(PORT) web worker beat; \
	else \
		exec $(BIN)/python manage.py run_embedded $(HOST):$(PORT); \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Schemathesis over every operation as each role, failing under 2,000 generated cases
# (the coverage phase runs in `make test`).
fuzz: $(STAMP)
	MOPSYNC_FUZZ_ROLES=maya,ishaan,lata,sana,omar MOPSYNC_FUZZ_PHASES=examples,fuzzing \
	MOPSYNC_FUZZ_EXAMPLES=$${MOPSYNC_FUZZ_EXAMPLES:-10} \
	MOPSYNC_FUZZ_MIN_CASES=$${MOPSYNC_FUZZ_MIN_CASES:-2000} $(BIN)/python -m pytest -p no:randomly tests/test_api_fuzz.py

# gunicorn + a Celery worker on PostgreSQL + Redis (its own database and Redis db,
# recreated) under SOAK_CLIENTS (50) clients for SOAK_SECONDS (600); see soak/run.py.
soak: $(STAMP)
	$(BIN)/python soak/run.py

# The README's pictures (docs/screenshots/): Playwright in Chromium on the demo brand,
# written to var/e2e/ as small palette PNGs, then copied.
SCREENSHOTS := calendar-month-1280 calendar-agenda-390 plan-form-10-lines resubmitted-diff
screenshots: $(STAMP)
	MOPSYNC_REQUIRE_E2E=1 $(BIN)/python -m pytest -p no:randomly tests/e2e/test_e2e_screenshots.py \
		tests/e2e/test_e2e_plan_lines.py tests/e2e/test_e2e_plan_changes.py
	mkdir -p docs/screenshots
	for name in $(SCREENSHOTS); do cp var/e2e/$$name.png docs/screenshots/; done

clean:
	rm -rf $(VENV) db.sqlite3*
