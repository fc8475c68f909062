#!/usr/bin/env bash
# Creates the Python virtual environment the FHIR payload test validates with: the
# independent fhir.resources models (R4B). Lives under .build/ so git ignores it; reused
# when it already works. Prints the venv's python path on stdout for .ci/run to export.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=".build/ci-venv"
if ! "$venv/bin/python" -c "import fhir.resources.R4B.bundle" >/dev/null 2>&1; then
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-venv >&2
    python3 -m venv "$venv" >&2
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "fhir.resources>=7,<9" >&2
fi
echo "$PWD/$venv/bin/python"
