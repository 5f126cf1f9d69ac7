#!/usr/bin/env bash
# Installs policybot into ./.venv (created if missing); `--dev` adds the test tools.
# A thin wrapper: policybot is an ordinary package (`pip install .` works on its own, the
# model's tokenizer and the prompts ship inside it), this only saves typing the venv steps.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "--dev" ] && extra="[dev]"
.venv/bin/pip install -q -e ".${extra}"
