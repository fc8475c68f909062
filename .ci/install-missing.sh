#!/usr/bin/env bash
# Installs the Debian packages named as arguments (those a caller found missing), with sudo
# when not root; does nothing when given none. One copy for every installer under .ci/.
set -euo pipefail
[ $# -gt 0 ] || exit 0
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@"
