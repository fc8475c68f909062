#!/usr/bin/env bash
# Runs schemathesis (PyPI, pinned) against a live `rehabsync serve` as a new integrator would:
# requests generated from the served /openapi.json, with a device token and the admin
# token. Fails on any server error (5xx) and on any request the document allows that the
# server refuses as malformed, except the refusals an operation lists itself under
# x-rehabsync-refusals (see .ci/schemathesis_hooks.py and README "The sync API").
#
# Needs the debug build (.build/debug/rehabsync); .ci/run calls it after the tests.
# ST_RUN_EXAMPLES bounds the examples per operation (default 25).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
version="4.32.5"
venv=".build/schemathesis-venv"
examples="${ST_RUN_EXAMPLES:-25}"
binary="$root/.build/debug/rehabsync"

validator="0.7.1"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version" \
    || ! "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('openapi-spec-validator') == '$validator'" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" "openapi-spec-validator==$validator"
fi

scratch="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  [ -n "${ST_RUN_KEEP:-}" ] || rm -rf "$scratch"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
url="http://127.0.0.1:$port"
REHABSYNC_LISTEN="127.0.0.1:$port" REHABSYNC_DATA_DIR="$scratch/data" REHABSYNC_LOG_LEVEL=error \
  "$binary" serve >"$scratch/server.log" 2>&1 &
server_pid=$!

# Wait for the server to answer, with a deadline.
deadline=$((SECONDS + 60))
until "$binary" healthcheck --url "$url/healthz" 2>/dev/null; do
  if [ $SECONDS -ge $deadline ] || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "schemathesis: the server did not start:" >&2; cat "$scratch/server.log" >&2; exit 1
  fi
  sleep 0.2
done

# The served document is valid OpenAPI 3.1 (openapi-spec-validator, pinned).
"$venv/bin/python" -c "import json, sys, urllib.request; from openapi_spec_validator import validate; validate(json.load(urllib.request.urlopen(sys.argv[1], timeout=10))); print('== openapi.json: valid OpenAPI 3.1')" "$url/openapi.json"

admin_token="$(cat "$scratch/data/admin-token")"
enrolled="$(REHABSYNC_ADMIN_TOKEN="$admin_token" "$binary" admin enrol --server "$url" --unit SE2321000016-A001 --name "schemathesis")"
device_token="$(printf '%s' "$enrolled" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
# The hooks make generated pushes this device's own writes in its unit (see the hooks file).
ST_RUN_REPLICA="$(printf '%s' "$enrolled" | python3 -c 'import json, sys; print(json.load(sys.stdin)["replicaId"])')"
export ST_RUN_REPLICA ST_RUN_UNIT="SE2321000016-A001" ST_RUN_STATISTICS="$scratch/statistics.tsv"

export SCHEMATHESIS_HOOKS="schemathesis_hooks"
export PYTHONPATH="$root/.ci${PYTHONPATH:+:$PYTHONPATH}"
checks="not_a_server_error,schema_valid_requests_accepted"
failed=0
run() {
  local name="$1" token="$2"; shift 2
  echo "== schemathesis: $name"
  local status=0
  # From the scratch directory, where schemathesis keeps its cache. One worker: with two,
  # hypothesis parses lambda sources (ast.parse) on two threads at once, which CPython 3.11
  # does not allow for ("SystemError: AST constructor recursion depth mismatch", CPython
  # issue 106905); it ended a CI run with a runtime error in the tool, not in the server.
  (cd "$scratch" && "$root/$venv/bin/schemathesis" run "$url/openapi.json" --checks "$checks" --max-examples "$examples" --seed 14 \
    --phases examples,coverage,fuzzing --workers 1 --no-color --request-timeout 10 --suppress-health-check too_slow \
    -H "Authorization: Bearer $token" "$@") >"$scratch/$name.log" 2>&1 || status=$?
  grep -Ev '^\s*$' "$scratch/$name.log" || true
  [ "$status" -eq 0 ] || failed=1
}

# Device routes, except the greeting and the rotation, which bind the token to a replica
# instance or give it a new replica id: every later device request would then answer 409.
run device "$device_token" --include-path-regex '^/(v1/sync|v1/records)' \
  --exclude-path /v1/sync/hello --exclude-path /v1/sync/rotate
# Administration and the open routes. POST /v1/admin/export/run delivers to the national
# register, an outside system: its refusals are tested in the Swift export tests.
run admin "$admin_token" --include-path-regex '^/(v1/admin|healthz|readyz|metrics|openapi.json)' \
  --exclude-path /v1/admin/export/run
# Last, the greeting and the rotation.
run greeting "$device_token" --include-path /v1/sync/hello --include-path /v1/sync/rotate

# What the server answered, by operation, generation mode, status and refusal code.
echo "== schemathesis: answers (requests, operation, mode, status, code)"
sort "$scratch/statistics.tsv" | uniq -c | sort -k2,2 -k3,3 -k1,1nr
python3 - "$scratch/statistics.tsv" <<'PY'
import sys
lines = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8")]
positive = [line for line in lines if line[1] == "positive"]
accepted = [line for line in positive if line[2].startswith("2")]
errors = [line for line in lines if line[2].startswith("5")]
print(f"schemathesis: {len(lines)} requests ({len(positive)} from the schemas, {len(accepted)} of them accepted with 2xx), {len(errors)} server errors")
PY

if grep -q 'internal_error\|request failed' "$scratch/server.log"; then
  echo "schemathesis: the server logged internal errors:" >&2; grep 'internal_error\|request failed' "$scratch/server.log" >&2; failed=1
fi
exit "$failed"
