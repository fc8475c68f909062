"""Schemathesis hooks for the RehabSync run in .ci/schemathesis.sh.

One check, in place of schemathesis's positive_data_acceptance: a request generated from
the document's schemas (positive mode) must not be refused as malformed (400, 405, 411,
413, 414, 415, 422, 431), except with a refusal the operation itself lists under
`x-rehabsync-refusals`: the rules JSON Schema cannot hold (across fields, over a record's
causal history, against reference data, or on the day of the request), each with its status,
code and, for validation_failed, the rule. The server generates that list beside the
schemas, so the tolerance cannot grow without the document saying so.
"""

import schemathesis

try:  # schemathesis 4: coverage-phase probes of deliberately unexpected request shapes
    from schemathesis.specs.openapi.checks import is_unexpected_http_status_case
except ImportError:  # pragma: no cover - another version lays its modules out differently
    def is_unexpected_http_status_case(case):
        return False

REFUSED_AS_MALFORMED = {400, 405, 411, 413, 414, 415, 422, 431}


def _rule(code, message):
    """The rule of a validation_failed refusal: its message is '<collection>/<id>: <rule>: <text>'."""
    if code != "validation_failed":
        return None
    parts = message.split(": ")
    return parts[1] if len(parts) > 2 else None


@schemathesis.check
def schema_valid_requests_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    status = response.status_code
    if status not in REFUSED_AS_MALFORMED:
        return None
    try:
        error = response.json()["error"]
        code, message, field = error["code"], error["message"], error.get("field")
    except Exception:
        raise AssertionError(f"A request the document allows was refused with {status} and no error object")
    rule = _rule(code, message)
    for allowed in case.operation.definition.raw.get("x-rehabsync-refusals", []):
        if allowed["status"] == status and allowed["code"] == code and (not allowed.get("rules") or rule in allowed["rules"]):
            return None
    raise AssertionError(
        f"A request the document allows was refused: {status} {code}"
        + (f" (rule {rule})" if rule else "")
        + f" at {field}: {message}"
    )


# What only the live server knows, filled into generated pushes: a generated state carries
# random replica ids, so the server would refuse nearly every push as out of the device's
# scope (403) before looking at a single field value, and the run would prove little about
# the record schemas. The run's script names the device's replica id and unit; each push
# is made the device's own writes (its replica id in every dot and the context, fresh
# counters the context covers, clocks of now), in its unit, for a patient with a valid
# personnummer, with dates not after today. Everything stays within the schemas, so a
# positive case stays one.
import datetime
import itertools
import os
import time

_WRITER = os.environ.get("ST_RUN_REPLICA")
_UNIT = os.environ.get("ST_RUN_UNIT")
_OTHER_UNIT = "SE2321000016-B001"
_PATIENT = "191212121212"
_counter = itertools.count(int(time.time() * 1000) * 1000)
_OWN_UNIT_FIELDS = {"sendingUnit", "referringUnit"}
_OTHER_UNIT_FIELDS = {"receivingUnit"}


def _repair_value(name, value):
    if name == "careUnits" and isinstance(value, list):
        return [_UNIT]
    if name in _OWN_UNIT_FIELDS and isinstance(value, str):
        return _UNIT
    if name in _OTHER_UNIT_FIELDS and isinstance(value, str):
        return _OTHER_UNIT
    if name == "patient" and isinstance(value, str):
        return _PATIENT
    if name == "identifierType" and isinstance(value, str):
        return "personnummer"
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        today = datetime.date.today().isoformat()
        if value[:10] > today:
            return "2020" + value[4:]
    return value


def _repair_state(state):
    if not isinstance(state, dict) or not isinstance(state.get("fields"), dict):
        return
    now = int(time.time() * 1000)
    highest = 0
    for name, siblings in state["fields"].items():
        if not isinstance(siblings, list):
            continue
        for sibling in siblings:
            if not isinstance(sibling, dict):
                continue
            counter = next(_counter)
            highest = max(highest, counter)
            sibling["dot"] = [_WRITER, counter]
            sibling["hlc"] = [now - 1000, 0]
            sibling["wall"] = now - 1000
            if "value" in sibling:
                sibling["value"] = _repair_value(name, sibling["value"])
    if highest:
        state["context"] = {_WRITER: highest}


@schemathesis.hook
def before_call(context, case, kwargs):
    # Every phase's requests pass here (the coverage phase's skip the map_* hooks), and
    # schemathesis checks the edited case against the schema again, so a positive case
    # stays positive only if the repair kept it within the schemas.
    if not _WRITER or case.operation.path != "/v1/sync/push":
        return
    if isinstance(case.body, dict):
        for record in case.body.get("records") or []:
            if isinstance(record, dict):
                _repair_state(record.get("state"))
    # The highest counter this run could have sent: never behind what the server holds.
    headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "x-rehabsync-sent-mark"}
    headers["X-RehabSync-Sent-Mark"] = str(9_007_199_254_740_991)
    case.headers = headers


# Answers by operation and status (and code), written where ST_RUN_STATISTICS says,
# so the run reports what the server actually did with the generated requests.


@schemathesis.hook
def after_call(context, case, response):
    path = os.environ.get("ST_RUN_STATISTICS")
    if not path:
        return
    code = ""
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            code = error["code"]
            rule = _rule(code, error["message"])
            if rule:
                code += "/" + rule
            if response.status_code == 403:
                code += " at " + str(error.get("field"))
        except Exception:
            code = "?"
    mode = "positive" if case.meta is not None and case.meta.generation.mode.is_positive else "negative"
    key = f"{case.operation.label}\t{mode}\t{response.status_code}\t{code}"
    with open(path, "a", encoding="utf-8") as out:
        out.write(key + "\n")
