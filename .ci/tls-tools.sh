#!/usr/bin/env bash
# The HTTPS delivery test makes a throwaway CA with the openssl command and runs a TLS
# endpoint in python3; install whichever is missing.
set -euo pipefail
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
bash "$(dirname "$0")/install-missing.sh" "${missing[@]}"
