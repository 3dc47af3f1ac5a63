"""Schemathesis against each service's published OpenAPI: every operation, generated and
hostile input, bounded examples. No answer may be a 5xx or break the published schema.

Operations are driven through Hypothesis directly (schemathesis' own pytest plugin does not
support this pytest version yet)."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from gatehouse_devstack.stack import Stack

pytestmark = pytest.mark.stack

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible, not flaky
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _fuzz(base_url: str) -> list[str]:
    """Fuzz every operation; returns the operations checked (the test asserts there are some)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @FUZZ_SETTINGS
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        exercise()
        checked.append(operation.label)
    return checked


@pytest.mark.parametrize("service", ["identity", "registry", "notifier"])
def test_every_operation_survives_fuzzing(stack: Stack, service: str) -> None:
    base_url = {
        "identity": stack.identity_url,
        "registry": stack.registry_url,
        "notifier": stack.notifier_url,
    }[service]
    checked = _fuzz(base_url)
    assert checked, f"{service} publishes no operations to fuzz"
