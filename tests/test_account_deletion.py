"""Issue 18, point 3: My account → Delete my account, across the running services.

After a fresh multi-factor re-authentication and the address typed as the confirmation, the
account is gone: it cannot sign in, its address can sign up again, the final e-mail arrives
through the notifier, the registry shows the pseudonym and the user's roles ended, and a scan of
every column of every identity table finds neither the address, nor the names, nor the phone
number. The last administrator of an organization is refused with the reason; a stale or missing
re-authentication, a wrong confirmation and a cross-origin form change nothing; deleting twice,
or twice at once, never answers 500."""

from __future__ import annotations

import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.mailbox_client import MailboxClient, matching
from gatehouse_devstack.stack import Stack, free_ports
from tests.journeys import (
    Account,
    answer_second_factor,
    away_from_step_edge,
    bearer,
    create_account,
    enrol_totp,
    identity_client,
    password_session,
    request_account,
    sign_in,
    totp_code,
)

SESSION_COOKIE = "__Host-gatehouse_session"
CSRF_COOKIE = "__Host-gatehouse_csrf"
DELETE = "/account/delete"
FAREWELL_SUBJECT = {"en": "Your account has been deleted", "sv": "Ditt konto har raderats"}
REDIRECTS = (302, 303, 307)


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def unique_names() -> tuple[str, str]:
    tag = secrets.token_hex(4)
    return f"Ottilia{tag}", f"Raderasson{tag}"


def mfa_account(
    client: httpx.Client, mailbox: MailboxClient, *, language: str = "en"
) -> tuple[Account, str, str]:
    """A new account with an authenticator app, a session that has just proved it, and the
    app's secret."""
    first, last = unique_names()
    account = create_account(client, mailbox, language=language, first_name=first, last_name=last)
    away_from_step_edge()
    secret, _ = enrol_totp(client, password_session(client, account)["session_token"])
    session = password_session(client, account)["session_token"]
    stepped = answer_second_factor(client, session, method="totp", code=totp_code(secret))
    assert stepped.status_code == 200, stepped.text
    return account, stepped.json()["session_token"], secret


def browser(token: str, csrf: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={csrf}"}


def post_delete(
    client: httpx.Client, token: str, confirmation: str, **headers: str
) -> httpx.Response:
    csrf = secrets.token_urlsafe(32)
    return client.post(
        f"{DELETE}?lang=en",
        data={"csrf_token": csrf, "confirmation": confirmation},
        headers={**browser(token, csrf), **headers},
    )


def identity_user_id(stack: Stack, email: str) -> uuid.UUID | None:
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        row = connection.execute(
            "SELECT id FROM users WHERE email_normalized = %s", (email.lower(),)
        ).fetchone()
    return None if row is None else row[0]


def add_phone(stack: Stack, user_id: uuid.UUID) -> str:
    """TEST FIXTURE: an SMS number (SMS is past its sunset here, so it cannot be enrolled)."""
    phone = "+4670" + "".join(str(secrets.randbelow(10)) for _ in range(7))
    factor_id = uuid.uuid4()
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "INSERT INTO second_factors (id, user_id, method, name, status)"
            " VALUES (%s, %s, 'sms', %s, 'active')",
            (factor_id, user_id, phone),
        )
        connection.execute(
            "INSERT INTO phone_numbers (factor_id, user_id, e164) VALUES (%s, %s, %s)",
            (factor_id, user_id, phone),
        )
    return phone


def registry_roles(
    stack: Stack, account: Account, user_id: uuid.UUID, *, with_colleague: bool
) -> uuid.UUID:
    """TEST FIXTURE: the user as the registry knows them after a sign-in: an operator they
    administer (alone, or with a colleague), a pending request at another, an audit entry they
    wrote. Returns the operator's id."""
    full_name = f"{account.first_name} {account.last_name}"
    operator_id, other_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(stack.database_urls["registry"], autocommit=True) as connection:
        connection.execute(
            "INSERT INTO users (id, full_name, email, last_sign_in_at, last_seen_at)"
            " VALUES (%s, %s, %s, now(), now())",
            (user_id, full_name, account.email),
        )
        for organization_id, name in (
            (operator_id, f"Raderingstest {operator_id.hex[:8]} AB"),
            (other_id, f"Annan {other_id.hex[:8]} AB"),
        ):
            connection.execute(
                "INSERT INTO organizations (id, kind, name, country_code, status)"
                " VALUES (%s, 'operator', %s, 'SE', 'valid')",
                (organization_id, name),
            )
        connection.execute(
            "INSERT INTO roles (id, user_id, organization_id, kind, status, is_admin,"
            " contact_email, contact_phone) VALUES (%s, %s, %s, 'member', 'approved', true, %s,"
            " '+46 70 000 00 00')",
            (uuid.uuid4(), user_id, operator_id, account.email),
        )
        connection.execute(
            "INSERT INTO roles (id, user_id, organization_id, kind, status, message)"
            " VALUES (%s, %s, %s, 'member', 'pending', %s)",
            (uuid.uuid4(), user_id, other_id, f"Hälsningar {full_name}"),
        )
        if with_colleague:
            colleague = uuid.uuid4()
            connection.execute(
                "INSERT INTO users (id, full_name, email, last_sign_in_at, last_seen_at)"
                " VALUES (%s, 'Kollega Kvar', %s, now(), now())",
                (colleague, f"kollega-{colleague.hex[:8]}@example.se"),
            )
            connection.execute(
                "INSERT INTO roles (id, user_id, organization_id, kind, status, is_admin)"
                " VALUES (%s, %s, %s, 'member', 'approved', true)",
                (uuid.uuid4(), colleague, operator_id),
            )
        connection.execute(
            "INSERT INTO audit_log (actor_user_id, actor_name, action, subject_type, subject_id,"
            " organization_id) VALUES (%s, %s, 'admin.granted', 'role_request', %s, %s)",
            (user_id, full_name, uuid.uuid4(), operator_id),
        )
    return operator_id


def wait_until(check: object, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def identity_events_published(stack: Stack, user_id: uuid.UUID) -> bool:
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM outbox_events WHERE subject = %s AND published_at IS NULL",
            (str(user_id),),
        ).fetchone()
    return row is not None and row[0] == 0


def scan_identity(stack: Stack, needles: list[str]) -> list[str]:
    """Every column of every table of identity's database (information_schema, so a table added
    later is scanned too) where one of `needles` appears: as text (any type cast to text,
    case-insensitively) or, in binary columns, as its UTF-8 bytes (event payloads)."""
    found = []
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        columns = connection.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        assert len({table for table, _, _ in columns}) > 20
        for table, column, data_type in columns:
            for needle in needles:
                if data_type == "bytea":
                    query = (
                        f'SELECT count(*) FROM "{table}"'
                        f" WHERE position(convert_to(%s, 'UTF8') IN \"{column}\") > 0"
                        f" OR position(convert_to(lower(%s), 'UTF8') IN \"{column}\") > 0"
                    )
                    args: tuple[str, ...] = (needle, needle)
                else:
                    query = (
                        f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS text) ILIKE %s'
                    )
                    args = (f"%{needle}%",)
                row = connection.execute(query, args).fetchone()
                if row is not None and row[0]:
                    found.append(f"{table}.{column} holds {needle!r}")
    return found


def notifier_addresses(stack: Stack, user_id: uuid.UUID) -> dict[str, str]:
    """The addresses the notifier's message rows to the user still hold, by template."""
    with psycopg.connect(stack.database_urls["notifier"], autocommit=True) as connection:
        rows = connection.execute(
            "SELECT template, recipient_email FROM messages WHERE recipient_user_id = %s"
            " AND recipient_email IS NOT NULL",
            (str(user_id),),
        ).fetchall()
    return {str(template): str(email) for template, email in rows}


def registry_row(stack: Stack, user_id: uuid.UUID) -> tuple[str, str] | None:
    with psycopg.connect(stack.database_urls["registry"], autocommit=True) as connection:
        row = connection.execute(
            "SELECT full_name, email FROM users WHERE id = %s", (user_id,)
        ).fetchone()
    return None if row is None else (row[0], row[1])


def test_a_deleted_account_is_gone_everywhere_and_its_address_free(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, token, _ = mfa_account(client, mailbox)
    user_id = identity_user_id(stack, account.email)
    assert user_id is not None
    phone = add_phone(stack, user_id)
    registry_roles(stack, account, user_id, with_colleague=True)

    csrf = secrets.token_urlsafe(32)
    page = client.get(f"{DELETE}?lang=en", headers=browser(token, csrf))
    assert page.status_code == 200, page.text
    assert "Delete my account for good" in page.text
    assert 'id="delete-warning"' not in page.text
    assert DELETE in client.get("/account?lang=en", headers=browser(token, csrf)).text
    swedish = client.get(f"{DELETE}?lang=sv", headers=browser(token, csrf))
    assert "Radera mitt konto för alltid" in swedish.text

    wrong = post_delete(client, token, "someone.else@example.se")
    assert wrong.status_code == 422, wrong.text
    assert "Type the e-mail address of your account exactly" in wrong.text
    foreign = post_delete(
        client,
        token,
        account.email,
        Origin="http://evil.example",
        **{"Sec-Fetch-Site": "cross-site"},
    )
    assert foreign.status_code == 403, foreign.text
    assert identity_user_id(stack, account.email) == user_id

    done = post_delete(client, token, f" {account.email.upper()} ")
    assert done.status_code == 200, done.text
    assert "Your account is deleted" in done.text
    assert any(
        cookie.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in cookie
        for cookie in done.headers.get_list("set-cookie")
    )

    # Closed: no sign-in, no session, and a second click is no error.
    refused = sign_in(client, email=account.email, password=account.password)
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "credentials_wrong"
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert post_delete(client, token, account.email).status_code in REDIRECTS

    (farewell,) = mailbox.wait_for(to=account.email, subject_contains=FAREWELL_SUBJECT["en"])
    pseudonym = "deleted-user-"
    assert pseudonym in farewell.text
    assert account.first_name not in farewell.text

    # The notifier: the earlier e-mails (the sign-up's, …) forget the address; the final one
    # keeps it until housekeeping erases it with its body.
    wait_until(lambda: notifier_addresses(stack, user_id) == {"account_deleted": account.email})

    # The registry: the pseudonym, no address, roles ended, the trail under the pseudonym.
    wait_until(lambda: (registry_row(stack, user_id) or ("", ""))[0].startswith(pseudonym))
    full_name, email = registry_row(stack, user_id) or ("", "")
    assert email == ""
    with psycopg.connect(stack.database_urls["registry"], autocommit=True) as connection:
        statuses = connection.execute(
            "SELECT status, is_admin, contact_email, message FROM roles WHERE user_id = %s"
            " ORDER BY status",
            (user_id,),
        ).fetchall()
        actors = connection.execute(
            "SELECT DISTINCT actor_name FROM audit_log WHERE actor_user_id = %s", (user_id,)
        ).fetchall()
        ended = connection.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'role.ended' AND target_user_id = %s",
            (user_id,),
        ).fetchone()
    assert statuses == [("rejected", False, None, None), ("revoked", False, None, None)]
    assert actors == [(full_name,)]
    assert ended == (2,)

    # Identity: nothing about the person in any column of any table, once the events are out.
    wait_until(lambda: identity_events_published(stack, user_id))
    needles = [account.email, account.first_name, account.last_name, phone, phone.lstrip("+")]
    assert scan_identity(stack, needles) == []

    # The address is free: signing up again makes a new account (its set-password e-mail).
    again = request_account(client, email=account.email)
    assert again.status_code == 202, again.text
    _, welcome = mailbox.wait_for(to=account.email, subject_contains="password", count=2)
    assert identity_user_id(stack, account.email) not in (None, user_id)
    assert "/password/set" in welcome.text


def test_the_last_administrator_is_refused_with_the_reason(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, token, _ = mfa_account(client, mailbox, language="sv")
    user_id = identity_user_id(stack, account.email)
    assert user_id is not None
    registry_roles(stack, account, user_id, with_colleague=False)
    with psycopg.connect(stack.database_urls["registry"], autocommit=True) as connection:
        (operator,) = connection.execute(
            "SELECT o.name FROM organizations o JOIN roles r ON r.organization_id = o.id"
            " WHERE r.user_id = %s AND r.is_admin",
            (user_id,),
        ).fetchone() or ("",)

    csrf = secrets.token_urlsafe(32)
    page = client.get(f"{DELETE}?lang=en", headers=browser(token, csrf))
    assert page.status_code == 200, page.text
    assert 'id="delete-warning"' in page.text
    assert f"You are the only administrator of {operator}" in page.text

    refused = post_delete(client, token, account.email)
    assert refused.status_code == 409, refused.text
    assert f"You are the only administrator of {operator}" in refused.text
    assert identity_user_id(stack, account.email) == user_id
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert registry_row(stack, user_id) == (
        f"{account.first_name} {account.last_name}",
        account.email,
    )


def test_deleting_needs_a_fresh_second_factor_or_sign_in(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, token, _ = mfa_account(client, mailbox)
    # TEST FIXTURE: the second factor was proved an hour ago (instead of waiting for it to age).
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "UPDATE sessions SET created_at = now() - interval '1 hour',"
            " second_factor_at = now() - interval '1 hour'"
            " WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (account.email,),
        )
    stale = post_delete(client, token, account.email)
    assert stale.status_code in REDIRECTS, stale.text
    assert stale.headers["location"].startswith("/login/second-factor?")
    assert "fresh=1" in stale.headers["location"]

    # A password-only session (no second factor proved) is sent to prove one.
    password_only = password_session(client, account)["session_token"]
    step_up = post_delete(client, password_only, account.email)
    assert step_up.status_code in REDIRECTS, step_up.text
    assert step_up.headers["location"].startswith("/login/second-factor?")

    # No session at all: off to sign in.
    anonymous = post_delete(client, "", account.email)
    assert anonymous.status_code in REDIRECTS
    assert anonymous.headers["location"].startswith("/login")
    assert identity_user_id(stack, account.email) is not None
    assert sign_in(client, email=account.email, password=account.password).status_code == 201


def test_deleting_twice_at_once_deletes_once_and_never_fails(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, token, _ = mfa_account(client, mailbox)
    user_id = identity_user_id(stack, account.email)

    def attempt(_: int) -> int:
        with identity_client(stack) as own:
            return post_delete(own, token, account.email).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(attempt, range(4)))
    assert 200 in answers, answers
    assert all(answer in (200, 410, *REDIRECTS) for answer in answers), answers
    assert identity_user_id(stack, account.email) is None
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        deleted = connection.execute(
            "SELECT count(*) FROM outbox_events WHERE event_type = 'identity.user.deleted'"
            " AND subject = %s",
            (str(user_id),),
        ).fetchone()
    assert deleted == (1,)
    mailbox.wait_for(to=account.email, subject_contains=FAREWELL_SUBJECT["en"])
    time.sleep(2)  # a second farewell would have arrived by now
    farewells = matching(
        mailbox.messages(), to=account.email, subject_contains=FAREWELL_SUBJECT["en"]
    )
    assert len(farewells) == 1


@pytest.fixture(scope="module")
def registry_unreachable(stack: Stack) -> Iterator[str]:
    """An identity process on the stack's database whose registry does not answer (nothing
    listens on its REGISTRY_GRPC_TARGET)."""
    http_port, grpc_port, nobody = free_ports(3)
    env = stack.env_for("identity") | {
        "HTTP_PORT": str(http_port),
        "GRPC_PORT": str(grpc_port),
        "REGISTRY_GRPC_TARGET": f"127.0.0.1:{nobody}",
        "REGISTRY_GRPC_TIMEOUT_S": "1",
    }
    process = ServiceProcess(
        "identity-no-registry",
        "gatehouse_identity",
        env,
        log_path=stack.logs_dir / "identity-no-registry.log",
        python=sys.executable,
    )
    process.start()
    yield process.url
    process.stop()


def test_deleting_is_refused_while_the_registry_cannot_answer(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, registry_unreachable: str
) -> None:
    account, token, _ = mfa_account(client, mailbox)
    with httpx.Client(base_url=registry_unreachable, timeout=30) as elsewhere:
        csrf = secrets.token_urlsafe(32)
        page = elsewhere.get(f"{DELETE}?lang=en", headers=browser(token, csrf))
        assert page.status_code == 200, page.text
        assert "The registry cannot be reached just now" in page.text
        refused = post_delete(elsewhere, token, account.email)
    assert refused.status_code == 409, refused.text
    assert "Nothing was deleted" in refused.text
    assert identity_user_id(stack, account.email) is not None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
