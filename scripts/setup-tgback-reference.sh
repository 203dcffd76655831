#!/usr/bin/env bash
# Installs the TGBACK-X reference (tgback-x 1.1, pinned with its dependencies) into the ignored
# virtual environment .venv-tgback, once. Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv-tgback/bin/python ]] || ! .venv-tgback/bin/python -c 'import sys; from tgback_x.version import VERSION; sys.exit(VERSION != "1.1")' 2>/dev/null; then
    python3 -m venv .venv-tgback >&2
    .venv-tgback/bin/pip install --quiet --disable-pip-version-check -r interop/tgback-requirements.txt >&2
fi
echo "$PWD/.venv-tgback/bin/python"
