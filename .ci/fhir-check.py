"""Parses every resource of the FHIR Bundles in a JSON file (an array of Bundles, or one)
with the independent fhir.resources R4B models. Exit 0 and prints the number of resources
when all are valid; exit 1 naming the first invalid one otherwise."""
import json
import sys

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measurereport import MeasureReport
from fhir.resources.R4B.organization import Organization

MODELS = {"Bundle": Bundle, "MeasureReport": MeasureReport, "Organization": Organization}


def parse(kind, value):
    model = MODELS.get(kind)
    if model is None:
        raise ValueError(f"unexpected resource type {kind!r}")
    return model.model_validate(value) if hasattr(model, "model_validate") else model.parse_obj(value)


def main(path):
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    bundles = document if isinstance(document, list) else [document]
    checked = 0
    for index, bundle in enumerate(bundles):
        try:
            parse(bundle.get("resourceType"), bundle)
            checked += 1
            for position, entry in enumerate(bundle.get("entry", [])):
                resource = entry["resource"]
                parse(resource.get("resourceType"), resource)
                checked += 1
        except Exception as error:  # the message names the element at fault
            print(f"bundle {index}: invalid: {error}", file=sys.stderr)
            return 1
    print(checked)
    return 0 if checked else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
