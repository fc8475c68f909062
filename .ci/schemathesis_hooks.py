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
