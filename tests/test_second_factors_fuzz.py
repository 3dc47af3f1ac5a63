"""Schemathesis against the second-factor operations *signed in* (the service-wide fuzz test
runs without a session, so it mostly meets 401s here): generated and hostile bodies, ids and
query values must give 4xx answers that follow the published schema, never a 5xx; then NUL, lone
surrogates, bidi controls and 10,000 characters in every field (tests/hostile_input.py)."""

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
from tests.journeys import (
    answer_second_factor,
    away_from_step_edge,
    bearer,
    enrol_totp,
    identity_client,
    password_session,
    signed_in_account,
    totp_code,
)

pytestmark = pytest.mark.stack

SETTINGS = hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
MINE = ("/api/v1/me/", "/api/v1/sessions/current", "/api/v1/mobile-app/")
# These end the session the fuzzer uses; they are exercised by the journey tests instead.
SKIPPED = {
    "DELETE /api/v1/sessions/current",
    "POST /api/v1/me/second-factors/reset",
    "POST /api/v1/me/password",
    "POST /api/v1/me/sessions/sign-out-everywhere",
    "DELETE /api/v1/me/sessions/{session_id}",
}


def test_second_factor_operations_survive_fuzzing_when_signed_in(
    stack: Stack, mailbox: MailboxClient
) -> None:
    away_from_step_edge()
    with identity_client(stack) as client:
        account, token = signed_in_account(client, mailbox)
        secret, _ = enrol_totp(client, token)
        session = password_session(client, account)["session_token"]
        stepped = answer_second_factor(client, session, method="totp", code=totp_code(secret))
        token = stepped.json()["session_token"]

    schema = schemathesis.openapi.from_url(f"{stack.identity_url}/openapi.json")
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(MINE) or operation.label in SKIPPED:
            continue

        @hypothesis.given(case=operation.as_strategy())
        @SETTINGS
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS, headers=bearer(token))

        exercise()
        checked.append(operation.label)
    assert len(checked) >= 15
    with httpx.Client(base_url=stack.identity_url, timeout=60) as client:
        sent, findings = sweep(
            client,
            f"{stack.identity_url}/openapi.json",
            headers=bearer(token),
            skip=frozenset(SKIPPED),
            under=MINE,
        )
    assert sent >= 100, sent
    assert not findings, "\n".join(map(str, findings[:40]))
    # The session survived the fuzzing (nothing above could end it).
    with httpx.Client(base_url=stack.identity_url) as client:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
