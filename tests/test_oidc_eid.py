"""Sign in with eID: identity as a client of an upstream OpenID Connect broker.

Two extra identity processes play the parts: "upstream" is the eID broker (a BankID/Freja+
stand-in, on http://localhost:<port> so its cookies are apart from the other's) and
"downstream" is the identity whose users link their eID; each has its own database and events
stream, so nothing here reaches the shared stack's notifier.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import pytest

from gatehouse.identity.v1 import user_service_pb2 as user_pb
from gatehouse.identity.v1 import user_service_pb2_grpc as user_grpc
from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.stack import Stack, free_ports
from tests.oidc_helpers import (
    IDENTITY_SESSION_COOKIE,
    Browser,
    admin_headers,
    database,
    form_to,
    query_of,
    raise_session_level,
    session_hash,
)

pytestmark = pytest.mark.stack

PASSWORD = "Tullverket#2025kod"
PROVIDER = "testbank"
ACR = "urn:gatehouse:acr:"


@dataclass(frozen=True)
class Identity:
    url: str
    grpc_target: str
    database_url: str
    host: str


@dataclass(frozen=True)
class Person:
    email: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Brokered:
    upstream: Identity
    downstream: Identity
    secret: str


def _identity_process(
    stack: Stack, name: str, *, host: str, overrides: dict[str, str]
) -> tuple[ServiceProcess, Identity]:
    http_port, grpc_port = free_ports(2)
    database_name = f"gh_{stack.run_id}_{name.replace('-', '_')}"
    database_url = stack.database_server.create_database(database_name, exist_ok=True)
    env = {
        **stack.env_for("identity"),
        "DATABASE_URL": database_url,
        "HTTP_PORT": str(http_port),
        "GRPC_PORT": str(grpc_port),
        "PUBLIC_URL": f"http://{host}:{http_port}",
        "CAPTCHA_ENABLED": "false",
        # Events of these identities stay off the shared stream (no notifier reads them).
        "EVENTS_STREAM": f"GH_{name.upper().replace('-', '_')}_{stack.run_id.upper()}",
        "EVENTS_SUBJECT_PREFIX": f"gh_{name.replace('-', '_')}_{stack.run_id}",
        **overrides,
    }
    process = ServiceProcess(
        name,
        "gatehouse_identity",
        env,
        log_path=stack.logs_dir / f"{name}.log",
        ledger=stack.ledger,
    )
    return process, Identity(
        url=f"http://{host}:{http_port}",
        grpc_target=f"127.0.0.1:{grpc_port}",
        database_url=database_url,
        host=host,
    )


@pytest.fixture(scope="module")
def brokered(stack: Stack) -> Iterator[Brokered]:
    upstream_process, upstream = _identity_process(
        stack, "eid-upstream", host="localhost", overrides={}
    )
    upstream_process.migrate()
    upstream_process.start()
    secret = secrets.token_urlsafe(32)
    (downstream_port,) = free_ports(1)
    downstream_url = f"http://127.0.0.1:{downstream_port}"
    registration = httpx.post(
        f"{upstream.url}/oidc/admin/clients",
        json={
            "client_id": "gatehouse-downstream",
            "name": "Gatehouse (downstream)",
            "redirect_uris": [f"{downstream_url}/eid/callback"],
            "min_level": "password",
            "first_party": True,
            "client_secret": secret,
        },
        headers=admin_headers(stack),
    )
    assert registration.status_code == 201, registration.text
    providers = [
        {
            "name": PROVIDER,
            "display_name": "Test BankID",
            "issuer": upstream.url,
            "client_id": "gatehouse-downstream",
            "client_secret": secret,
            # "low" gives a password-level session; "substantial"/"high" count as multi-factor.
            "acr_levels": {
                f"{ACR}password": "password",
                f"{ACR}multi_factor": "multi_factor",
                f"{ACR}phishing_resistant": "multi_factor",
            },
        }
    ]
    downstream_process, downstream = _identity_process(
        stack,
        "eid-downstream",
        host="127.0.0.1",
        overrides={"EID_PROVIDERS": json.dumps(providers)},
    )
    downstream_process.env["HTTP_PORT"] = str(downstream_port)
    downstream_process.env["PUBLIC_URL"] = downstream_url
    downstream = Identity(
        url=downstream_url,
        grpc_target=downstream.grpc_target,
        database_url=downstream.database_url,
        host="127.0.0.1",
    )
    downstream_process.migrate()
    downstream_process.start()
    try:
        yield Brokered(upstream=upstream, downstream=downstream, secret=secret)
    finally:
        downstream_process.stop()
        upstream_process.stop()


def make_person(stack: Stack, identity: Identity) -> Person:
    """An active account, its password set through a link identity issues over gRPC (these
    identities have no notifier to e-mail it)."""
    person = Person(email=f"eid-{uuid.uuid4().hex[:10]}@example.se")
    created = httpx.post(
        f"{identity.url}/api/v1/accounts",
        json={
            "first_name": "Erik",
            "last_name": "Eidsson",
            "email": person.email,
            "email_confirmation": person.email,
            "email_language": "sv",
            "privacy_statement_accepted": True,
        },
    )
    assert created.status_code == 202, created.text
    token = mint_service_token(stack.service_auth_secret.encode(), caller="notifier")
    metadata = [("authorization", f"Bearer {token}")]
    with grpc.insecure_channel(identity.grpc_target) as channel:
        stub = user_grpc.UserServiceStub(channel)
        user = stub.GetUserByEmail(
            user_pb.GetUserByEmailRequest(email=person.email), metadata=metadata, timeout=5
        ).user
        link = stub.CreatePasswordLink(
            user_pb.CreatePasswordLinkRequest(
                user_id=user.user_id, purpose=user_pb.PASSWORD_LINK_PURPOSE_SET
            ),
            metadata=metadata,
            timeout=5,
        )
    response = httpx.post(
        f"{identity.url}/api/v1/password/set",
        json={"token": query_of(link.url)["token"], "password": person.password},
    )
    assert response.status_code == 200, response.text
    return person


def sign_out(browser: Browser, identity: Identity) -> int:
    return browser.request("DELETE", f"{identity.url}/api/v1/sessions/current").status_code


def password_sign_in(browser: Browser, identity: Identity, person: Person) -> None:
    response = browser.post(
        f"{identity.url}/api/v1/sessions",
        json={"email": person.email, "password": person.password},
    )
    assert response.status_code == 201, response.text


def me(browser: Browser, identity: Identity) -> httpx.Response:
    return browser.get(f"{identity.url}/api/v1/me")


def session_row(browser: Browser, identity: Identity) -> tuple[str, list[str]]:
    token = browser.cookie(IDENTITY_SESSION_COOKIE, identity.host)
    assert token
    with database(identity.database_url) as connection:
        row = connection.execute(
            "SELECT level, amr FROM sessions WHERE id_hash = %s", (session_hash(token),)
        ).fetchone()
    assert row is not None
    return row[0], list(row[1])


def through_upstream(
    browser: Browser, brokered: Brokered, start: str, *, person: Person, data: dict[str, str]
) -> tuple[str, httpx.Response | None]:
    """POST `start` at downstream, authenticate at the broker (which asks for a fresh sign-in:
    prompt=login), and follow the browser back to downstream."""
    upstream = brokered.upstream
    stopped, response = browser.navigate(
        start, method="POST", data=data, stop=lambda url: url.startswith(f"{upstream.url}/login")
    )
    assert response is None, response.text if response else ""
    password_sign_in(browser, upstream, person)
    return browser.navigate(f"{upstream.url}{query_of(stopped)['next']}")


def link_eid(browser: Browser, brokered: Brokered, bank_person: Person) -> httpx.Response:
    downstream = brokered.downstream
    _, page = browser.navigate(f"{downstream.url}/account/eids")
    assert page is not None
    assert page.status_code == 200
    assert "Test BankID" in page.text
    form = form_to(page.text, f"/account/eids/{PROVIDER}/link")
    _, landed = through_upstream(
        browser,
        brokered,
        f"{downstream.url}{form.action}",
        person=bank_person,
        data=form.fields,
    )
    assert landed is not None
    return landed


def eid_sign_in(browser: Browser, brokered: Brokered, bank_person: Person) -> httpx.Response:
    downstream = brokered.downstream
    page = browser.get(f"{downstream.url}/eid/login?next=/account")
    assert page.status_code == 200
    form = form_to(page.text, f"/eid/{PROVIDER}/login")
    _, landed = through_upstream(
        browser, brokered, f"{downstream.url}{form.action}", person=bank_person, data=form.fields
    )
    assert landed is not None
    return landed


def test_link_an_eid_after_a_fresh_strong_sign_in_then_sign_in_with_it(
    stack: Stack, brokered: Brokered
) -> None:
    downstream, upstream = brokered.downstream, brokered.upstream
    account = make_person(stack, downstream)
    bank_person = make_person(stack, upstream)
    browser = Browser()
    try:
        password_sign_in(browser, downstream, account)
        # A password alone may not attach a way in that counts as multi-factor.
        _, page = browser.navigate(f"{downstream.url}/account/eids")
        assert page is not None
        form = form_to(page.text, f"/account/eids/{PROVIDER}/link")
        refused = browser.post(f"{downstream.url}{form.action}", data=form.fields)
        assert refused.status_code == 303
        assert query_of(refused.headers["location"]) == {
            "next": "/account/eids",
            "level": "multi_factor",
        }
        # TEST FIXTURE (second factors are gatehouse_identity.mfa's): a multi-factor session.
        raise_session_level(
            downstream.database_url, browser, level="multi_factor", amr=["pwd", "otp", "mfa"]
        )
        # ...but not a fresh one: an hour-old sign-in must be renewed first.
        token = browser.cookie(IDENTITY_SESSION_COOKIE)
        assert token
        with database(downstream.database_url) as connection:
            connection.execute(
                "UPDATE sessions SET created_at = %s WHERE id_hash = %s",
                (datetime.now(UTC) - timedelta(hours=1), session_hash(token)),
            )
        stale = browser.post(f"{downstream.url}{form.action}", data=form.fields)
        assert stale.status_code == 303
        assert stale.headers["location"].startswith("/login?")
        with database(downstream.database_url) as connection:
            connection.execute(
                "UPDATE sessions SET created_at = now() WHERE id_hash = %s", (session_hash(token),)
            )

        linked = link_eid(browser, brokered, bank_person)
        assert linked.status_code == 200
        assert "Linked" in linked.text or "Kopplad" in linked.text

        # Signed out, the eID alone signs the user in: no password.
        assert sign_out(browser, downstream) == 204
        assert me(browser, downstream).status_code == 401
        landed = eid_sign_in(browser, brokered, bank_person)
        assert landed.status_code == 200
        assert me(browser, downstream).json()["email"] == account.email
        # The broker's session was password-only ("low"): that is not multi-factor here.
        assert session_row(browser, downstream)[0] == "password"

        # A broker sign-in asserting the multi-factor level ("substantial/high") counts as such.
        sign_out(browser, downstream)
        upstream_session_level_at_next_sign_in(browser, brokered, bank_person)
        level, amr = session_row(browser, downstream)
        assert level == "multi_factor"
        assert "mfa" in amr

        # Unlinked, the eID no longer opens the account.
        _, page = browser.navigate(f"{downstream.url}/account/eids")
        assert page is not None
        unlink = form_to(page.text, f"/account/eids/{PROVIDER}/unlink")
        browser.navigate(f"{downstream.url}{unlink.action}", method="POST", data=unlink.fields)
        sign_out(browser, downstream)
        refused_login = eid_sign_in(browser, brokered, bank_person)
        assert refused_login.status_code == 403
        assert me(browser, downstream).status_code == 401
    finally:
        browser.close()


def upstream_session_level_at_next_sign_in(
    browser: Browser, brokered: Brokered, bank_person: Person
) -> None:
    """Sign in with eID, the broker's session being multi-factor (TEST FIXTURE at the broker:
    its level is raised in its database as its second factors would)."""
    downstream, upstream = brokered.downstream, brokered.upstream
    page = browser.get(f"{downstream.url}/eid/login?next=/account")
    form = form_to(page.text, f"/eid/{PROVIDER}/login")
    stopped, _ = browser.navigate(
        f"{downstream.url}{form.action}",
        method="POST",
        data=form.fields,
        stop=lambda url: url.startswith(f"{upstream.url}/login"),
    )
    password_sign_in(browser, upstream, bank_person)
    raise_session_level(
        upstream.database_url, browser, level="multi_factor", amr=["pwd", "otp"], host="localhost"
    )
    _, landed = browser.navigate(f"{upstream.url}{query_of(stopped)['next']}")
    assert landed is not None
    assert landed.status_code == 200


def test_an_upstream_subject_links_to_one_account_only(stack: Stack, brokered: Brokered) -> None:
    downstream, upstream = brokered.downstream, brokered.upstream
    bank_person = make_person(stack, upstream)
    first, second = make_person(stack, downstream), make_person(stack, downstream)
    for owner, expected in ((first, 200), (second, 409)):
        browser = Browser()
        try:
            password_sign_in(browser, downstream, owner)
            raise_session_level(  # TEST FIXTURE, as above
                downstream.database_url, browser, level="multi_factor", amr=["pwd", "otp", "mfa"]
            )
            landed = link_eid(browser, brokered, bank_person)
            assert landed.status_code == expected
        finally:
            browser.close()
    with database(downstream.database_url) as connection:
        links = connection.execute(
            "SELECT count(*) FROM eid_links l JOIN users u ON u.id = l.user_id"
            " WHERE u.email IN (%s, %s)",
            (first.email, second.email),
        ).fetchone()
    assert links == (1,)


def test_a_forged_or_replayed_callback_gets_nothing(brokered: Brokered) -> None:
    downstream = brokered.downstream
    browser = Browser()
    try:
        for query in ("", "?state=made-up&code=x", "?state=" + "s" * 500):
            response = browser.get(f"{downstream.url}/eid/callback{query}")
            assert response.status_code == 400
            assert me(browser, downstream).status_code == 401
    finally:
        browser.close()
