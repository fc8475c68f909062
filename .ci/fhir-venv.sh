#!/usr/bin/env bash
# Creates the Python virtual environment the FHIR payload test validates with: the
# independent fhir.resources models (R4B). Lives under .build/ so git ignores it; reused
# when it already works. Prints the venv's python path on stdout for .ci/run to export.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=".build/ci-venv"
if ! "$venv/bin/python" -c "import fhir.resources.R4B.bundle" >/dev/null 2>&1; then
  # python3 with its venv module is installed by .ci/run.
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "fhir.resources>=7,<9" >&2
fi
echo "$PWD/$venv/bin/python"
