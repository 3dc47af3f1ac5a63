"""Schemathesis against each service's published OpenAPI: every operation, generated and
hostile input, bounded examples. No answer may be a 5xx or break the published schema. Then
hostile strings (NUL, lone surrogates, bidi controls, 10,000 characters) in every field of every
operation, anonymously and signed in (tests/hostile_input.py).

Operations are driven through Hypothesis directly (schemathesis' own pytest plugin does not
support this pytest version yet)."""

from __future__ import annotations

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.hostile_input import sweep
from tests.oidc_helpers import registry_browser

pytestmark = pytest.mark.stack

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=40,
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


def _url(stack: Stack, service: str) -> str:
    return {
        "identity": stack.identity_url,
        "registry": stack.registry_url,
        "notifier": stack.notifier_url,
    }[service]


@pytest.mark.parametrize("service", ["identity", "registry", "notifier"])
def test_every_operation_survives_fuzzing(stack: Stack, service: str) -> None:
    checked = _fuzz(_url(stack, service))
    assert checked, f"{service} publishes no operations to fuzz"


@pytest.mark.parametrize("service", ["identity", "registry"])  # the notifier takes no input
def test_hostile_strings_in_every_field_are_refused_or_handled(stack: Stack, service: str) -> None:
    base_url = _url(stack, service)
    with httpx.Client(base_url=base_url, timeout=60) as client:
        sent, findings = sweep(client, f"{base_url}/openapi.json")
    assert sent >= 200, sent
    assert not findings, "\n".join(map(str, findings[:40]))


def test_hostile_strings_reach_the_registry_signed_in(stack: Stack, mailbox: MailboxClient) -> None:
    """Signed in, the registry's handlers (not only its sign-in check) meet every hostile
    string; sign-out is left out so that the session lasts the whole sweep."""
    browser = registry_browser(stack, mailbox)
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.jar)
    with httpx.Client(base_url=stack.registry_url, timeout=60) as client:
        sent, findings = sweep(
            client,
            f"{stack.registry_url}/openapi.json",
            headers={"Cookie": cookies},
            under=("/api/",),
        )
        assert client.get("/api/v1/me", headers={"Cookie": cookies}).status_code == 200
    browser.close()
    assert sent >= 150, sent
    assert not findings, "\n".join(map(str, findings[:40]))
