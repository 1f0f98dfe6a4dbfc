"""Offline checks of rendered files against the Kubernetes OpenAPI schemas (`kubernetes-validate`).

No API server runs here, so nothing is applied: each manifest is checked against the published schema
of `KUBERNETES` (strict: unknown fields are errors), and RebootNode records against their CRD's own
openAPIV3Schema. `kubernetes-validate` reports one error per document and does not check enums.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import kubernetes_validate
import yaml
from jsonschema import Draft202012Validator
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

from fleetops.addons.pointer import pointer_of
from fleetops.addons.records import API_VERSION, record_schema

KUBERNETES = "1.30.0"


@cache
def _records() -> Draft202012Validator:
    return Draft202012Validator(record_schema())


def check_document(doc: dict[str, Any]) -> list[str]:
    if doc.get("apiVersion") == API_VERSION:
        return [f"{pointer_of(e.absolute_path)}: {e.message}" for e in _records().iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    except ValidationError as exc:
        return [f"{pointer_of(exc.absolute_path)}: {exc.message}"]
    except SchemaNotFoundError as exc:
        return [str(exc)]
    return []


def check_files(files: dict[str, str]) -> list[str]:
    """Every problem as `path#document pointer: message`; Helm values and the index are not manifests."""
    problems = []
    for path, text in files.items():
        if not path.endswith(".yaml") or path.endswith("/values.yaml"):
            continue
        for index, doc in enumerate(yaml.load_all(text, Loader=yaml.CSafeLoader)):
            problems += [f"{path}#{index}{p}" for p in check_document(doc)]
    return problems
