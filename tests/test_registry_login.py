"""The registry signs users in through identity: code flow with PKCE at the multi-factor level,
its own session cookie, names refreshed at every sign-in, bearer tokens for the JSON API, log
out, and back-channel logout."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet, RSAKey

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from gatehouse_registry.auth.dependencies import CurrentUser, RegistryUser
from gatehouse_registry.auth.identity_grpc import ActiveToken, IdentityUser
from gatehouse_registry.auth.sign_in import safe_return_path
from tests.journeys import Account, away_from_step_edge, totp_code
from tests.oidc_helpers import (
    Browser,
    form_to,
    identity_cli,
    new_account,
    query_of,
    raise_session_level,
    register_client,
    sign_in,
    wait_until,
)

pytestmark = pytest.mark.stack

REGISTRY_COOKIE = "__Host-registry_session"


@pytest.fixture(scope="module")
def registry(stack: Stack) -> str:
    """The registry, registered at identity as the dev launcher does (see the report for the
    launcher hook). Until the launcher gives the registry its client secret, it is given here
    and the registry restarted with it."""
    process = stack.services["registry"]
    secret = process.env.get("OIDC_CLIENT_SECRET")
    restart = not secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        process.env.update({"OIDC_CLIENT_ID": "registry", "OIDC_CLIENT_SECRET": secret})
    url = stack.registry_url
    result = identity_cli(
        {**stack.env_for("identity"), "OIDC_CLIENT_SECRET": secret},
        "clients",
        "create",
        "--client-id",
        process.env.get("OIDC_CLIENT_ID", "registry"),
        "--name",
        "Gatehouse registry",
        "--redirect-uri",
        f"{url}/auth/callback",
        "--post-logout-redirect-uri",
        f"{url}/",
        "--backchannel-logout-uri",
        f"{url}/auth/backchannel-logout",
        "--min-level",
        "multi_factor",
        "--first-party",
        "--secret-env",
        "OIDC_CLIENT_SECRET",
        "--replace",
    )
    assert result.returncode == 0, result.stderr
    if restart:
        stack.restart_component("registry")
    return url


@pytest.fixture(scope="module")
def account(stack: Stack) -> Account:
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        return new_account(stack, mailbox)


@pytest.fixture
def browser() -> Iterator[Browser]:
    opened = Browser()
    yield opened
    opened.close()


def at_identity_login(stack: Stack) -> Any:
    return lambda url: url.startswith(f"{stack.identity_url}/login")


def log_in_to_registry(stack: Stack, registry: str, browser: Browser) -> httpx.Response:
    """Open a registry page with a multi-factor identity session; returns the page."""
    _, page = browser.navigate(f"{registry}/auth/profile")
    assert page is not None
    assert page.status_code == 200, page.text
    return page


def step_up(stack: Stack, browser: Browser) -> None:
    # TEST FIXTURE (second factors are gatehouse_identity.mfa's, tested there): the session now
    # counts as multi-factor, as after an authenticator-app code.
    raise_session_level(
        stack.database_urls["identity"], browser, level="multi_factor", amr=["pwd", "otp", "mfa"]
    )


def test_password_session_is_stepped_up_before_the_registry_gets_a_token(
    stack: Stack, registry: str, browser: Browser
) -> None:
    """The whole way, with a real second factor: an authenticator app (pyotp) enrolled through
    identity's API, and the step-up answered with its code."""
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        account = new_account(stack, mailbox)
    signed_in = browser.post(
        f"{stack.identity_url}/api/v1/sessions",
        json={"email": account.email, "password": account.password},
    )
    assert signed_in.status_code == 201
    token = signed_in.json()["session_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    away_from_step_edge()
    started = browser.post(
        f"{stack.identity_url}/api/v1/me/authenticator-apps", json={"name": "Phone"}, headers=bearer
    )
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    confirmed = browser.post(
        f"{stack.identity_url}/api/v1/me/authenticator-apps/{started.json()['factor_id']}/confirm",
        json={"code": totp_code(secret, steps=-1)},
        headers=bearer,
    )
    assert confirmed.status_code == 200, confirmed.text

    # The registry's Log in, on the way to a page of the registry: identity asks for more.
    stopped, _ = browser.navigate(f"{registry}/auth/profile", stop=at_identity_login(stack))
    login = query_of(stopped)
    assert login["level"] == "multi_factor"
    assert login["next"].startswith("/oidc/authorize/resume?request=")
    # The registry was given nothing: no code, no session.
    assert browser.cookie(REGISTRY_COOKIE) is None
    json_accept = {"Accept": "application/json"}
    assert browser.get(f"{registry}/auth/me", headers=json_accept).status_code == 401

    stepped = browser.post(
        f"{stack.identity_url}/api/v1/sessions/current/second-factor",
        json={"method": "totp", "code": totp_code(secret)},
        headers=bearer,
    )
    assert stepped.status_code == 200, stepped.text
    final, page = browser.navigate(f"{stack.identity_url}{login['next']}")
    assert urlsplit(final).path == "/auth/profile"
    assert page is not None
    assert page.status_code == 200
    assert f"{account.first_name} {account.last_name}" in page.text
    me = browser.get(f"{registry}/auth/me", headers=json_accept).json()
    assert me["email"] == account.email
    assert me["level"] == "multi_factor"
    assert "otp" in me["amr"]


def test_registry_shows_the_name_changed_in_identity_after_the_next_login(
    stack: Stack, registry: str, browser: Browser
) -> None:
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        account = new_account(stack, mailbox)
    sign_in(stack, browser, account)
    step_up(stack, browser)
    page = log_in_to_registry(stack, registry, browser)
    assert "Anna Svensson" in page.text

    # The user changes their name in identity (My account), with identity's own session.
    renamed = browser.request(
        "PATCH",
        f"{stack.identity_url}/api/v1/me",
        json={"first_name": "Britta", "last_name": "Lind", "email_language": "sv"},
    )
    assert renamed.status_code == 200, renamed.text
    # Log out of the registry only (identity's session stays), then log in again.
    browser.jar.clear("127.0.0.1", "/", REGISTRY_COOKIE)
    page = log_in_to_registry(stack, registry, browser)
    assert "Britta Lind" in page.text
    assert "Anna Svensson" not in page.text


def test_back_channel_logout_ends_the_registry_session(
    stack: Stack, registry: str, account: Account, browser: Browser
) -> None:
    sign_in(stack, browser, account)
    step_up(stack, browser)
    log_in_to_registry(stack, registry, browser)
    json_accept = {"Accept": "application/json"}
    assert browser.get(f"{registry}/auth/me", headers=json_accept).status_code == 200

    # Signing out of identity, by identity's own button, reaches the registry behind the scenes.
    assert (
        browser.request("DELETE", f"{stack.identity_url}/api/v1/sessions/current").status_code
        == 204
    )
    wait_until(
        lambda: browser.get(f"{registry}/auth/me", headers=json_accept).status_code == 401,
        what="the registry session to end",
    )
    # A page now sends the browser to log in again.
    response = browser.get(f"{registry}/auth/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=%2Fauth%2Fprofile"


def test_registry_log_out_signs_out_of_identity_too(
    stack: Stack, registry: str, account: Account, browser: Browser
) -> None:
    sign_in(stack, browser, account)
    step_up(stack, browser)
    page = log_in_to_registry(stack, registry, browser)
    json_accept = {"Accept": "application/json"}
    # From another site (no CSRF token), the log out form is refused and nothing ends.
    refused = browser.post(
        f"{registry}/auth/logout", headers={"Origin": "https://attacker.example"}
    )
    assert refused.status_code == 403
    assert browser.get(f"{registry}/auth/me", headers=json_accept).status_code == 200

    form = form_to(page.text, "/auth/logout")
    landed, _ = browser.navigate(
        f"{registry}{form.action}",
        method="POST",
        data=form.fields,
        stop=lambda url: url == f"{registry}/",
    )
    assert landed == f"{registry}/"
    assert browser.get(f"{stack.identity_url}/api/v1/me").status_code == 401
    assert browser.get(f"{registry}/auth/me", headers=json_accept).status_code == 401


def registry_access_token(stack: Stack, registry: str, browser: Browser) -> str:
    """An access token issued to the registry's client (as the registry's own API clients get
    one), by running the code flow with the registry's credentials."""
    secret = stack.services["registry"].env["OIDC_CLIENT_SECRET"]
    client_id = stack.services["registry"].env.get("OIDC_CLIENT_ID", "registry")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": f"{registry}/auth/callback",
        "scope": "openid profile email",
        "state": "s",
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    landed, _ = browser.navigate(
        f"{stack.identity_url}/oidc/authorize?{urlencode(query)}",
        stop=lambda url: url.startswith(f"{registry}/auth/callback"),
    )
    response = httpx.post(
        f"{stack.identity_url}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(landed)["code"],
            "redirect_uri": f"{registry}/auth/callback",
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_json_api_takes_identity_access_tokens_for_the_registry_only(
    stack: Stack, registry: str, account: Account, browser: Browser
) -> None:
    sign_in(stack, browser, account)
    step_up(stack, browser)
    token = registry_access_token(stack, registry, browser)
    me = httpx.get(f"{registry}/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["email"] == account.email
    assert me.json()["level"] == "multi_factor"

    # No credentials on the API: 401 with a challenge, never a redirect.
    anonymous = httpx.get(f"{registry}/auth/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")

    # A token identity gave another application is not a key to the registry.
    other = register_client(stack, base_url="http://127.0.0.1:9", first_party=True)
    landed, _ = browser.navigate(
        f"{stack.identity_url}/oidc/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": other.client_id,
                "redirect_uri": other.redirect_uri,
                "scope": "openid",
            }
        ),
        stop=lambda url: url.startswith(other.redirect_uri),
    )
    foreign = httpx.post(
        f"{stack.identity_url}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(landed)["code"],
            "redirect_uri": other.redirect_uri,
        },
        auth=(other.client_id, other.client_secret or ""),
    ).json()["access_token"]

    now = int(time.time())
    claims = {"iss": stack.identity_url, "sub": str(uuid.uuid4()), "aud": "registry", "iat": now}
    unsigned = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        + "."
    )
    wrong_key = jose_jwt.encode({"alg": "RS256"}, claims, RSAKey.generate_key(2048))
    for bad in (foreign, unsigned, wrong_key, secrets.token_urlsafe(32)):
        refused = httpx.get(f"{registry}/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def _introspections(stack: Stack) -> float:
    """How many IntrospectToken calls identity has answered (its Prometheus counter)."""
    metrics = httpx.get(f"{stack.identity_url}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("gatehouse_grpc_server_handled_total")
        and "TokenService/IntrospectToken" in line
    )


def test_access_tokens_are_jwts_the_registry_checks_without_asking_identity(
    stack: Stack, registry: str, account: Account, browser: Browser
) -> None:
    """RFC 9068: identity's access token is a signed JWT for the registry's API, which verifies it
    with identity's JWKS; introspection still answers for it (clients that want to ask)."""
    sign_in(stack, browser, account)
    step_up(stack, browser)
    token = registry_access_token(stack, registry, browser)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"  # FAPI 2.0 algorithm; ID tokens stay RS256
    claims = jose_jwt.decode(token, _jwks(stack)).claims
    assert claims["aud"] == "urn:gatehouse:registry"
    assert claims["client_id"] == "registry"
    assert claims["acr"] == "urn:gatehouse:acr:multi_factor"
    assert claims["exp"] - claims["iat"] == 300
    assert claims["sid"]

    before = _introspections(stack)
    for _ in range(3):
        me = httpx.get(f"{registry}/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["level"] == "multi_factor"
    assert _introspections(stack) == before

    userinfo = httpx.get(
        f"{stack.identity_url}/oidc/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == claims["sub"]


def _jwks(stack: Stack) -> KeySet:
    return KeySet.import_key_set(httpx.get(f"{stack.identity_url}/oidc/jwks").json())


def test_signing_out_of_identity_revokes_the_registry_access_tokens_of_that_session(
    stack: Stack, registry: str, account: Account, browser: Browser
) -> None:
    """The back-channel logout the registry receives ends its verification of the session's
    JWT access tokens too, long before they expire; tokens of the user's other sessions stay."""
    other_browser = Browser()
    try:
        sign_in(stack, other_browser, account)
        step_up(stack, other_browser)
        kept = registry_access_token(stack, registry, other_browser)
    finally:
        other_browser.close()
    sign_in(stack, browser, account)
    step_up(stack, browser)
    token = registry_access_token(stack, registry, browser)

    def status(bearer: str) -> int:
        return httpx.get(
            f"{registry}/auth/me", headers={"Authorization": f"Bearer {bearer}"}
        ).status_code

    assert status(token) == 200
    assert (
        browser.request("DELETE", f"{stack.identity_url}/api/v1/sessions/current").status_code
        == 204
    )
    wait_until(lambda: status(token) == 401, what="the session's access token to be refused")
    assert status(kept) == 200


def test_back_channel_endpoint_refuses_anything_but_identity_logout_tokens(
    stack: Stack, registry: str
) -> None:
    endpoint = f"{registry}/auth/backchannel-logout"
    now = int(time.time())
    claims = {
        "iss": stack.identity_url,
        "aud": "registry",
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sub": str(uuid.uuid4()),
        "sid": "x",
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    unsigned = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        + "."
    )
    wrong_key = jose_jwt.encode({"alg": "RS256"}, claims, RSAKey.generate_key(2048))
    for body in (
        {},
        {"logout_token": "garbage"},
        {"logout_token": unsigned},
        {"logout_token": wrong_key},
    ):
        response = httpx.post(endpoint, data=body)
        assert response.status_code == 400, body
        assert response.json()["error"] == "invalid_request"


# --- the dependency itself, without the stack -------------------------------------------------


class _FakeGrpc:
    def __init__(self, token: ActiveToken | None) -> None:
        self.token = token

    async def introspect(self, _token: str) -> ActiveToken | None:
        return self.token

    async def get_user(self, user_id: uuid.UUID) -> IdentityUser:
        return IdentityUser(user_id=user_id, full_name="Anna Svensson", email="anna@example.se")


class _FakeRuntime:
    def __init__(self, token: ActiveToken | None) -> None:
        self.grpc = _FakeGrpc(token)
        self.api_client_ids = ["registry"]
        self.settings = type(
            "Settings", (), {"required_level": "multi_factor", "session_cookie_name": "c"}
        )()


def _app(token: ActiveToken | None) -> TestClient:
    app = FastAPI()
    app.state.auth = _FakeRuntime(token)

    @app.get("/api/v1/thing")
    async def thing(user: CurrentUser) -> dict[str, str]:
        return {"user": user.full_name}

    return TestClient(app)


def _token(level: str, client_id: str = "registry") -> ActiveToken:
    return ActiveToken(
        user_id=uuid.uuid4(),
        client_id=client_id,
        level=level,
        amr=["pwd"],
        scopes=["openid"],
        expires_at=time.time() + 60,
    )


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (_token("multi_factor"), 200),
        (_token("phishing_resistant"), 200),
        (_token("password"), 403),
        (_token("multi_factor", client_id="someone-else"), 401),
        (None, 401),
    ],
)
def test_current_user_dependency_levels_and_audiences(
    token: ActiveToken | None, status: int
) -> None:
    with _app(token) as client:
        response = client.get("/api/v1/thing", headers={"Authorization": "Bearer t"})
    assert response.status_code == status
    assert isinstance(RegistryUser, type)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/operators?country=SE", "/operators?country=SE"),
        ("https://attacker.example/", "/"),
        ("//attacker.example/", "/"),
        ("/\\attacker.example", "/"),
        ("/x\r\nLocation: https://attacker.example", "/"),
        ("", "/"),
    ],
)
def test_after_log_in_the_registry_only_returns_to_its_own_pages(value: str, expected: str) -> None:
    assert safe_return_path(value) == expected
