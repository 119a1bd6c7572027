# Two entry points (see README): `make demo` runs the main job, `make test` the tests.
# Both create .venv and install simgen into it on first use.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out/demo

.PHONY: demo test lint test-slow test-slurm test-all install clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Render 8 frames of the open-field scene with the bundled mouse, check them, and write
# a labeled contact sheet. Rerunning resumes (complete frames are skipped).
demo: $(STAMP)
	$(BIN)/simgen render scenes/openfield.yaml --out $(OUT) --frames 8 --preset fast
	$(BIN)/simgen verify $(OUT)
	$(BIN)/simgen preview $(OUT) --out $(OUT)/preview.png --n 8
	@echo "labeled preview: $(OUT)/preview.png"

# Lint (pyflakes, pycodestyle errors, import order; settings in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

# The default suite: lint, then everything but slow, GPU and Slurm tests (includes Blender renders).
# two workers, one test file each (module fixtures such as a file's Blender render run once):
# 642 tests in 2 min 20 s on the 2-core machine against 3 min 37 s in one process
test: lint
	$(BIN)/python -m pytest -m "not slow and not gpu and not slurm" -n 2 --dist loadfile --durations=15

# The slow tests (minutes each: longer trainings, 1000-frame sampling checks); CI runs them after `test`.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m "slow and not gpu and not slurm" --durations=15

# Slurm integration tests: install (apt) and start a single-node cluster as root.
test-slurm: $(STAMP)
	$(BIN)/python -m pytest -m slurm

test-all: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out .pytest_cache
