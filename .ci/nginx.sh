#!/usr/bin/env bash
# Installs what the TLS proxy test needs (nginx and the openssl command) when missing.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
bash "$(dirname "$0")/install-missing.sh" "${missing[@]}"
