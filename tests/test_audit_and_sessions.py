"""Issue 10: the security audit log (append-only, the user's own entries readable on My account)
and the sessions page (list, end one, sign out everywhere; a new session id at every sign-in
and every level change)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    answer_second_factor,
    away_from_step_edge,
    bearer,
    create_account,
    enrol_totp,
    identity_client,
    password_session,
    totp_code,
    unique_email,
)

pytestmark = pytest.mark.stack

SESSION_COOKIE = "__Host-gatehouse_session"
AGENT = "GatehouseAuditTest/1.0 (" + "x" * 400 + ")"


def _audit(client: httpx.Client, token: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/me/audit", headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _sign_in(client: httpx.Client, email: str, password: str, **headers: str) -> httpx.Response:
    return client.post(
        "/api/v1/sessions", json={"email": email, "password": password}, headers=headers
    )


def test_audit_log_records_sign_ins_and_password_changes_for_the_user_only(
    stack: Stack, mailbox: MailboxClient
) -> None:
    with identity_client(stack) as client:
        account = create_account(client, mailbox)
        wrong = _sign_in(client, account.email, "Wrong#Password99", **{"User-Agent": AGENT})
        assert wrong.status_code == 401
        signed_in = _sign_in(
            client,
            account.email,
            account.password,
            **{"User-Agent": AGENT, "X-Forwarded-For": "203.0.113.7"},
        )
        assert signed_in.status_code == 201, signed_in.text
        token = signed_in.json()["session_token"]
        new_password = "Ny#Losenord2025kod"
        changed = client.post(
            "/api/v1/me/password",
            json={"current_password": account.password, "new_password": new_password},
            headers=bearer(token),
        )
        assert changed.status_code == 204, changed.text

        entries = _audit(client, token)["entries"]
        kinds = [entry["kind"] for entry in entries]
        assert kinds == [
            "password.changed",
            "sign_in.succeeded",
            "sign_in.failed",
            "password.set",
        ]
        success = entries[1]
        assert success["ip_address"] == "203.0.113.7"
        assert success["user_agent"] == AGENT[:300]
        assert success["detail"] == {"bucket": "unknown"}
        assert entries[2]["detail"] == {"reason": "wrong_password", "bucket": "unknown"}
        assert entries[3]["detail"] == {"replaced": False}
        # Paged, newest first.
        first = _audit(client, token, limit=2)
        assert [e["kind"] for e in first["entries"]] == kinds[:2]
        rest = _audit(client, token, limit=2, before=first["next_before"])
        assert [e["kind"] for e in rest["entries"]] == kinds[2:]

        # Someone else sees only their own entries.
        other = create_account(client, mailbox)
        other_token = password_session(client, other)["session_token"]
        assert [e["kind"] for e in _audit(client, other_token)["entries"]] == [
            "sign_in.succeeded",
            "password.set",
        ]
        # Never a password, an address or a token in the log.
        text = json.dumps(entries)
        for secret in (account.password, new_password, "Wrong#Password99", account.email, token):
            assert secret not in text
        assert client.get("/api/v1/me/audit").status_code == 401

        page = client.get("/account/activity", headers={"Cookie": f"{SESSION_COOKIE}={token}"})
        assert page.status_code == 200
        assert "Password changed" in page.text
        assert "203.0.113.7" in page.text
        page_sv = client.get(
            "/account/activity?lang=sv", headers={"Cookie": f"{SESSION_COOKIE}={token}"}
        )
        assert "Lösenordet byttes" in page_sv.text
        account_page = client.get("/account", headers={"Cookie": f"{SESSION_COOKIE}={token}"})
        assert 'href="/account/activity"' in account_page.text
        assert 'href="/account/sessions"' in account_page.text


def test_unknown_address_is_logged_without_the_address_and_the_log_is_append_only(
    stack: Stack,
) -> None:
    typed = unique_email("nobody")
    with identity_client(stack) as client:
        assert _sign_in(client, typed, "Guess#Password123").status_code == 401
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        rows = connection.execute(
            "SELECT user_id, kind, detail::text FROM audit_log ORDER BY id DESC LIMIT 20"
        ).fetchall()
        assert (None, "sign_in.failed", '{"bucket": "unknown", "reason": "no_such_account"}') in [
            tuple(row) for row in rows
        ]
        dump = connection.execute("SELECT string_agg(audit_log::text, ' ') FROM audit_log")
        everything = (dump.fetchone() or [""])[0]
        assert typed not in everything
        assert "Guess#Password123" not in everything
        for statement in (
            "UPDATE audit_log SET kind = 'sign_in.succeeded'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                connection.execute(statement)


def test_sessions_list_end_one_and_sign_out_everywhere(
    stack: Stack, mailbox: MailboxClient
) -> None:
    with identity_client(stack) as client:
        account = create_account(client, mailbox)
        first = password_session(client, account)["session_token"]
        second = _sign_in(
            client, account.email, account.password, **{"User-Agent": "Phone browser"}
        ).json()["session_token"]
        third = password_session(client, account)["session_token"]
        # Every sign-in gets its own new session id.
        assert len({first, second, third}) == 3

        listed = client.get("/api/v1/me/sessions", headers=bearer(first))
        assert listed.status_code == 200, listed.text
        sessions = listed.json()
        assert len(sessions) == 3
        assert [s["current"] for s in sessions].count(True) == 1
        assert {s["level"] for s in sessions} == {"password"}
        phone = next(s for s in sessions if s["user_agent"] == "Phone browser")
        assert all(len(s["session_id"]) == 32 for s in sessions)
        assert second not in json.dumps(sessions)

        page = client.get("/account/sessions", headers={"Cookie": f"{SESSION_COOKIE}={first}"})
        assert page.status_code == 200
        assert "this session" in page.text
        assert "/account/sessions/sign-out-everywhere" in page.text

        ended = client.delete(f"/api/v1/me/sessions/{phone['session_id']}", headers=bearer(first))
        assert ended.status_code == 204
        assert client.get("/api/v1/me", headers=bearer(second)).status_code == 401
        assert client.get("/api/v1/me", headers=bearer(first)).status_code == 200
        again = client.delete(f"/api/v1/me/sessions/{phone['session_id']}", headers=bearer(first))
        assert again.status_code == 404
        # Another user's session cannot be ended by id.
        other = create_account(client, mailbox)
        other_token = password_session(client, other)["session_token"]
        (mine,) = [
            s
            for s in client.get("/api/v1/me/sessions", headers=bearer(first)).json()
            if not s["current"]
        ]
        foreign = client.delete(
            f"/api/v1/me/sessions/{mine['session_id']}", headers=bearer(other_token)
        )
        assert foreign.status_code == 404
        assert client.get("/api/v1/me", headers=bearer(third)).status_code == 200

        everywhere = client.post("/api/v1/me/sessions/sign-out-everywhere", headers=bearer(first))
        assert everywhere.status_code == 200
        assert everywhere.json() == {"sessions_ended": 2}
        for token in (first, third):
            assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
        assert client.get("/api/v1/me", headers=bearer(other_token)).status_code == 200

        fresh = password_session(client, account)["session_token"]
        kinds = [e["kind"] for e in _audit(client, fresh)["entries"]]
        assert kinds[:3] == ["sign_in.succeeded", "session.signed_out_everywhere", "session.ended"]


def test_step_up_issues_a_new_session_id_and_is_audited(
    stack: Stack, mailbox: MailboxClient
) -> None:
    with identity_client(stack) as client:
        account = create_account(client, mailbox)
        token = password_session(client, account)["session_token"]
        away_from_step_edge()
        secret, _ = enrol_totp(client, token)
        signed_in = password_session(client, account)
        assert signed_in["second_factor_required"]
        password_token = signed_in["session_token"]
        assert password_token != token
        answered = answer_second_factor(
            client, password_token, method="totp", code=totp_code(secret)
        )
        assert answered.status_code == 200, answered.text
        raised = answered.json()["session_token"]
        assert raised != password_token
        assert client.get("/api/v1/me", headers=bearer(password_token)).status_code == 401
        entries = _audit(client, raised)["entries"]
        assert entries[0]["kind"] == "second_factor.used"
        assert entries[0]["detail"] == {"method": "totp", "level": "multi_factor"}
        assert "second_factor.added" in [e["kind"] for e in entries]
        wrong = answer_second_factor(
            client, password_session(client, account)["session_token"], method="totp", code="000000"
        )
        assert wrong.status_code == 401
        failed = _audit(client, raised)["entries"][0]
        assert failed["kind"] == "second_factor.failed"
        assert failed["detail"] == {
            "method": "totp",
            "reason": "wrong_answer",
            "attempt_ended": False,
        }
        assert secret not in json.dumps(entries)
