#!/usr/bin/env bash
# Installs the Python reference (tgbox 1.8.0.1, pinned with its dependencies) into the ignored
# virtual environment .venv, once. Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; from tgbox.version import VERSION; sys.exit(VERSION != "1.8.0.1")' 2>/dev/null; then
    python3 -m venv .venv >&2
    .venv/bin/pip install --quiet --disable-pip-version-check -r interop/requirements.txt >&2
fi
echo "$PWD/.venv/bin/python"
