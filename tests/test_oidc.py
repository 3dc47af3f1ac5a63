"""Identity as an OpenID Connect provider, driven by a third-party client library (authlib) and by
hand for the attacks: code flow with PKCE, ID tokens checked against the JWKS, userinfo, refresh
token rotation, RP-initiated and back-channel logout, consent, and the standard error codes."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import Account
from tests.oidc_helpers import (
    Browser,
    Receiver,
    RegisteredClient,
    admin_headers,
    database,
    form_to,
    identity_cli,
    new_account,
    query_of,
    register_client,
    session_hash,
    sign_in,
    wait_until,
)

pytestmark = [
    pytest.mark.stack,
    # authlib warns that its own jose module will move to joserfc; it still works.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def s256(verifier: str) -> str:
    digest = __import__("hashlib").sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def discovery(stack: Stack) -> dict[str, Any]:
    response = httpx.get(f"{stack.identity_url}/.well-known/openid-configuration")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def account(stack: Stack) -> Account:
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        return new_account(stack, mailbox)


@pytest.fixture
def browser(stack: Stack, account: Account) -> Iterator[Browser]:
    """A browser signed in to identity with the password."""
    signed_in = Browser()
    sign_in(stack, signed_in, account)
    yield signed_in
    signed_in.close()


@pytest.fixture(scope="module")
def first_party(stack: Stack, receiver: Receiver) -> RegisteredClient:
    return register_client(stack, base_url=receiver.url, first_party=True)


def authorize_url(stack: Stack, client: RegisteredClient, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        **params,
    }
    return f"{stack.identity_url}/oidc/authorize?{urlencode(query)}"


def code_for(
    stack: Stack, browser: Browser, client: RegisteredClient, verifier: str | None = None
) -> str:
    """A fresh code for a first-party client (no consent screen)."""
    extra = {"code_challenge": s256(verifier), "code_challenge_method": "S256"} if verifier else {}
    url, response = browser.navigate(
        authorize_url(stack, client, **extra), stop=lambda u: u.startswith(client.redirect_uri)
    )
    assert response is None, response.text if response else ""
    return query_of(url)["code"]


def token_request(
    stack: Stack, client: RegisteredClient, secret: str | None = None, **fields: str
) -> httpx.Response:
    return httpx.post(
        f"{stack.identity_url}/oidc/token",
        data=fields,
        auth=(client.client_id, secret if secret is not None else client.client_secret or ""),
    )


def validate_id_token(
    token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, **params: str
) -> Any:
    claims = jwt.decode(
        token,
        JsonWebKey.import_key_set(jwks),
        claims_cls=CodeIDToken,
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
        },
        claims_params={"client_id": client_id, **params},
    )
    claims.validate()
    return claims


# --- the whole journey with a third-party client library ----------------------------------


def test_authlib_client_code_pkce_id_token_userinfo_refresh_and_logout(
    stack: Stack,
    discovery: dict[str, Any],
    receiver: Receiver,
    browser: Browser,
    account: Account,
) -> None:
    client = register_client(
        stack, base_url=receiver.url, backchannel_logout_uri=f"{receiver.url}/backchannel"
    )
    issuer = discovery["issuer"]
    assert issuer == stack.identity_url
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert "urn:gatehouse:acr:multi_factor" in discovery["acr_values_supported"]
    assert discovery["backchannel_logout_supported"] is True

    oauth = OAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope="openid profile email",
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = oauth.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    # A third-party client: the user is asked the first time.
    _, consent_page = browser.navigate(url, stop=lambda u: u.startswith(client.redirect_uri))
    assert consent_page is not None
    assert consent_page.status_code == 200
    assert f"Test application {client.client_id}" in consent_page.text
    form = form_to(consent_page.text, "/oidc/authorize/consent")
    callback, _ = browser.navigate(
        f"{stack.identity_url}{form.action}",
        method="POST",
        data={**form.fields, "decision": "allow"},
        stop=lambda u: u.startswith(client.redirect_uri),
    )
    assert query_of(callback)["state"] == state
    assert query_of(callback)["iss"] == issuer

    token = oauth.fetch_token(
        discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert token["token_type"].lower() == "bearer"
    jwks = httpx.get(discovery["jwks_uri"]).json()
    claims = validate_id_token(
        token["id_token"],
        jwks,
        issuer=issuer,
        client_id=client.client_id,
        nonce=nonce,
        access_token=token["access_token"],
    )
    assert claims["acr"] == "urn:gatehouse:acr:password"
    assert claims["amr"] == ["pwd"]
    assert claims["email"] == account.email
    assert claims["name"] == f"{account.first_name} {account.last_name}"
    assert claims["sid"]

    userinfo = oauth.get(discovery["userinfo_endpoint"])
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == claims["sub"]
    assert userinfo.json()["email"] == account.email

    first_refresh_token = token["refresh_token"]
    refreshed = oauth.refresh_token(discovery["token_endpoint"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != first_refresh_token
    validate_id_token(refreshed["id_token"], jwks, issuer=issuer, client_id=client.client_id)
    assert oauth.get(discovery["userinfo_endpoint"]).status_code == 200

    # RP-initiated logout with the ID token as hint: no question asked, back to the client.
    logout = f"{discovery['end_session_endpoint']}?" + urlencode(
        {
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": client.post_logout_redirect_uri,
            "state": "bye",
        }
    )
    landed, _ = browser.navigate(
        logout, stop=lambda u: u.startswith(client.post_logout_redirect_uri)
    )
    assert query_of(landed) == {"state": "bye"}

    # Back-channel: the client is told, with a logout token signed by a key in the JWKS.
    posted = receiver.wait_for_post("/backchannel")
    logout_claims = jwt.decode(posted["logout_token"][0], JsonWebKey.import_key_set(jwks))
    assert logout_claims["iss"] == issuer
    assert logout_claims["aud"] == client.client_id
    assert logout_claims["sid"] == claims["sid"]
    assert logout_claims["sub"] == claims["sub"]
    assert "http://schemas.openid.net/event/backchannel-logout" in logout_claims["events"]
    assert "nonce" not in logout_claims

    # Everything issued in that session has ended.
    assert oauth.get(discovery["userinfo_endpoint"]).status_code == 401
    again = token_request(
        stack, client, grant_type="refresh_token", refresh_token=refreshed["refresh_token"]
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert browser.get(f"{stack.identity_url}/api/v1/me").status_code == 401


def test_public_client_must_use_pkce_s256_and_then_gets_tokens(
    stack: Stack, receiver: Receiver, browser: Browser
) -> None:
    client = register_client(stack, base_url=receiver.url, public=True, first_party=True)
    assert client.client_secret is None
    without, _ = browser.navigate(
        authorize_url(stack, client), stop=lambda u: u.startswith(client.redirect_uri)
    )
    assert query_of(without)["error"] == "invalid_request"
    plain, _ = browser.navigate(
        authorize_url(stack, client, code_challenge="x" * 43, code_challenge_method="plain"),
        stop=lambda u: u.startswith(client.redirect_uri),
    )
    assert query_of(plain)["error"] == "invalid_request"

    verifier = generate_token(48)
    code = code_for(stack, browser, client, verifier)
    response = httpx.post(
        f"{stack.identity_url}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "code": code,
            "redirect_uri": client.redirect_uri,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"


# --- consent ------------------------------------------------------------------------------


def test_consent_is_asked_once_for_third_parties_never_for_first_party_unless_user_says(
    stack: Stack, receiver: Receiver, browser: Browser, first_party: RegisteredClient
) -> None:
    third_party = register_client(stack, base_url=receiver.url)

    def lands_on_client(client: RegisteredClient, **params: str) -> bool:
        url, response = browser.navigate(
            authorize_url(stack, client, **params),
            stop=lambda u: u.startswith(client.redirect_uri),
        )
        if response is None:
            assert "code" in query_of(url)
            return True
        assert "/oidc/authorize/consent" in response.text
        return False

    assert lands_on_client(first_party)
    assert not lands_on_client(third_party)  # first time: asked
    _, page = browser.navigate(authorize_url(stack, third_party))
    assert page is not None
    form = form_to(page.text, "/oidc/authorize/consent")
    denied, _ = browser.navigate(
        f"{stack.identity_url}{form.action}",
        method="POST",
        data={**form.fields, "decision": "deny"},
        stop=lambda u: u.startswith(third_party.redirect_uri),
    )
    assert query_of(denied)["error"] == "access_denied"
    assert not lands_on_client(third_party)  # a refusal is not remembered as consent
    _, page = browser.navigate(authorize_url(stack, third_party))
    assert page is not None
    form = form_to(page.text, "/oidc/authorize/consent")
    browser.navigate(
        f"{stack.identity_url}{form.action}",
        method="POST",
        data={**form.fields, "decision": "allow"},
        stop=lambda u: u.startswith(third_party.redirect_uri),
    )
    assert lands_on_client(third_party)  # remembered
    assert not lands_on_client(third_party, prompt="consent")

    # "Warn me each time an application asks for my identity": every client asks, every time.
    _, settings_page = browser.navigate(f"{stack.identity_url}/account/applications")
    assert settings_page is not None
    assert third_party.client_id in settings_page.text  # listed as allowed
    form = form_to(settings_page.text, "/account/applications/settings")
    browser.navigate(
        f"{stack.identity_url}{form.action}",
        method="POST",
        data={**form.fields, "warn_each_time": "on"},
    )
    assert not lands_on_client(first_party)
    assert not lands_on_client(third_party)
    prompt_none, _ = browser.navigate(
        authorize_url(stack, first_party, prompt="none"),
        stop=lambda u: u.startswith(first_party.redirect_uri),
    )
    assert query_of(prompt_none)["error"] == "consent_required"
    browser.navigate(
        f"{stack.identity_url}{form.action}", method="POST", data=form.fields
    )  # unticked again
    assert lands_on_client(first_party)


# --- the authorization endpoint refuses ------------------------------------------------------


def test_unknown_client_or_unregistered_redirect_uri_get_an_error_page_never_a_redirect(
    stack: Stack, first_party: RegisteredClient, browser: Browser
) -> None:
    registered = first_party.redirect_uri
    attempts = [
        {"client_id": "no-such-client"},
        {"redirect_uri": "https://attacker.example/cb"},
        {"redirect_uri": registered + "/extra"},
        {"redirect_uri": registered + "?next=https://attacker.example"},
        {"redirect_uri": registered + "/"},
        {"redirect_uri": registered.replace("127.0.0.1", "localhost")},
        {"redirect_uri": ""},
    ]
    for override in attempts:
        response = browser.get(authorize_url(stack, first_party, **override))
        assert response.status_code == 400, override
        assert "location" not in response.headers, override
        assert "invalid_request" in response.text
    # Two redirect_uri parameters: refused the same way, whichever one is registered.
    twice = authorize_url(stack, first_party) + "&" + urlencode({"redirect_uri": registered})
    assert browser.get(twice).status_code == 400


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile email"}, "invalid_scope"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_bad_authorization_requests_go_back_with_standard_error_codes(
    stack: Stack,
    first_party: RegisteredClient,
    browser: Browser,
    params: dict[str, str],
    error: str,
) -> None:
    landed, _ = browser.navigate(
        authorize_url(stack, first_party, state="s1", **params),
        stop=lambda u: u.startswith(first_party.redirect_uri),
    )
    query = query_of(landed)
    assert query["error"] == error
    assert query["state"] == "s1"
    assert query["iss"] == stack.identity_url
    assert "code" not in query


def test_prompt_none_without_session_and_step_up_for_acr_values(
    stack: Stack, first_party: RegisteredClient, browser: Browser
) -> None:
    stranger = Browser()
    try:
        landed, _ = stranger.navigate(
            authorize_url(stack, first_party, prompt="none"),
            stop=lambda u: u.startswith(first_party.redirect_uri),
        )
        assert query_of(landed)["error"] == "login_required"
        # Without a session the browser is sent to sign in, and comes back to the request.
        response = stranger.get(authorize_url(stack, first_party))
        assert response.status_code == 303
        login = query_of(response.headers["location"])
        assert login["level"] == "password"
        assert login["next"].startswith("/oidc/authorize/resume?request=")
    finally:
        stranger.close()

    # Asking for more than the session has: the user is stepped up, never given less.
    response = browser.get(
        authorize_url(stack, first_party, acr_values="urn:gatehouse:acr:multi_factor")
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?")
    assert query_of(response.headers["location"])["level"] == "multi_factor"
    landed, _ = browser.navigate(
        authorize_url(
            stack, first_party, prompt="none", acr_values="urn:gatehouse:acr:multi_factor"
        ),
        stop=lambda u: u.startswith(first_party.redirect_uri),
    )
    assert query_of(landed)["error"] == "interaction_required"
    # An unknown acr value is a wish that cannot be understood: the client's minimum applies.
    landed, _ = browser.navigate(
        authorize_url(stack, first_party, acr_values="urn:example:loa:9"),
        stop=lambda u: u.startswith(first_party.redirect_uri),
    )
    assert "code" in query_of(landed)


# --- the token endpoint refuses ---------------------------------------------------------------


def test_codes_are_bound_to_client_redirect_uri_and_pkce_verifier_and_work_once(
    stack: Stack, receiver: Receiver, first_party: RegisteredClient, browser: Browser
) -> None:
    other = register_client(stack, base_url=receiver.url, first_party=True)

    def exchange(client: RegisteredClient, code: str, **fields: str) -> httpx.Response:
        return token_request(
            stack,
            client,
            grant_type="authorization_code",
            code=code,
            redirect_uri=client.redirect_uri,
            **fields,
        )

    verifier = generate_token(48)
    wrong_secret = token_request(
        stack,
        first_party,
        secret="not-the-secret",
        grant_type="authorization_code",
        code=code_for(stack, browser, first_party, verifier),
        redirect_uri=first_party.redirect_uri,
        code_verifier=verifier,
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    assert wrong_secret.headers["www-authenticate"].startswith("Basic")

    missing = exchange(first_party, code_for(stack, browser, first_party, verifier))
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_grant")
    wrong = exchange(
        first_party,
        code_for(stack, browser, first_party, verifier),
        code_verifier=generate_token(48),
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    # A verifier without a challenge is a downgrade attempt.
    downgrade = exchange(first_party, code_for(stack, browser, first_party), code_verifier=verifier)
    assert downgrade.json()["error"] == "invalid_grant"
    elsewhere = token_request(
        stack,
        first_party,
        grant_type="authorization_code",
        code=code_for(stack, browser, first_party, verifier),
        redirect_uri=first_party.redirect_uri + "/other",
        code_verifier=verifier,
    )
    assert elsewhere.json()["error"] == "invalid_grant"

    # A code issued to one client is worthless to another.
    code = code_for(stack, browser, first_party, verifier)
    stolen = token_request(
        stack,
        other,
        grant_type="authorization_code",
        code=code,
        redirect_uri=first_party.redirect_uri,
        code_verifier=verifier,
    )
    assert stolen.json()["error"] == "invalid_grant"

    # Used once; used again, it fails and what it gave is revoked (RFC 6749 4.1.2).
    first = exchange(first_party, code, code_verifier=verifier)
    assert first.status_code == 200, first.text
    access_token = first.json()["access_token"]
    userinfo = f"{stack.identity_url}/oidc/userinfo"
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert httpx.get(userinfo, headers=bearer).status_code == 200
    replay = exchange(first_party, code, code_verifier=verifier)
    assert replay.json()["error"] == "invalid_grant"
    denied = httpx.get(userinfo, headers=bearer)
    assert denied.status_code == 401
    assert 'error="invalid_token"' in denied.headers["www-authenticate"]
    refresh = token_request(
        stack, first_party, grant_type="refresh_token", refresh_token=first.json()["refresh_token"]
    )
    assert refresh.json()["error"] == "invalid_grant"

    unsupported = token_request(stack, first_party, grant_type="password")
    assert unsupported.json()["error"] == "unsupported_grant_type"


def test_expired_codes_and_tokens_are_refused(
    stack: Stack, first_party: RegisteredClient, browser: Browser
) -> None:
    identity_db = stack.database_urls["identity"]
    verifier = generate_token(48)
    code = code_for(stack, browser, first_party, verifier)
    # Test fixture: age the code instead of waiting out its 60 seconds.
    with database(identity_db) as connection:
        connection.execute(
            "UPDATE oidc_authorization_codes SET expires_at = now() - interval '1 second'"
            " WHERE code_hash = %s",
            (session_hash(code),),
        )
    expired = token_request(
        stack,
        first_party,
        grant_type="authorization_code",
        code=code,
        redirect_uri=first_party.redirect_uri,
        code_verifier=verifier,
    )
    assert expired.json()["error"] == "invalid_grant"

    tokens = token_request(
        stack,
        first_party,
        grant_type="authorization_code",
        code=code_for(stack, browser, first_party, verifier),
        redirect_uri=first_party.redirect_uri,
        code_verifier=verifier,
    ).json()
    with database(identity_db) as connection:
        connection.execute(
            "UPDATE oidc_access_tokens SET expires_at = now() - interval '1 second'"
            " WHERE token_hash = %s",
            (session_hash(tokens["access_token"]),),
        )
        connection.execute(
            "UPDATE oidc_refresh_tokens SET expires_at = now() - interval '1 second'"
            " WHERE token_hash = %s",
            (session_hash(tokens["refresh_token"]),),
        )
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(f"{stack.identity_url}/oidc/userinfo", headers=bearer).status_code == 401
    refresh = token_request(
        stack, first_party, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_reused_refresh_token_revokes_the_whole_family(
    stack: Stack, receiver: Receiver, first_party: RegisteredClient, browser: Browser
) -> None:
    verifier = generate_token(48)
    tokens = token_request(
        stack,
        first_party,
        grant_type="authorization_code",
        code=code_for(stack, browser, first_party, verifier),
        redirect_uri=first_party.redirect_uri,
        code_verifier=verifier,
    ).json()
    other = register_client(stack, base_url=receiver.url, first_party=True)
    foreign = token_request(
        stack, other, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert foreign.json()["error"] == "invalid_grant"

    second = token_request(
        stack, first_party, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).json()
    third = token_request(
        stack, first_party, grant_type="refresh_token", refresh_token=second["refresh_token"]
    ).json()
    assert len({tokens["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    widened = token_request(
        stack,
        first_party,
        grant_type="refresh_token",
        refresh_token=third["refresh_token"],
        scope="openid admin",
    )
    assert widened.json()["error"] == "invalid_scope"

    # The first token comes back: someone copied it. Every token of the family dies.
    reuse = token_request(
        stack, first_party, grant_type="refresh_token", refresh_token=second["refresh_token"]
    )
    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
    latest = token_request(
        stack, first_party, grant_type="refresh_token", refresh_token=third["refresh_token"]
    )
    assert latest.json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {third['access_token']}"}
    assert httpx.get(f"{stack.identity_url}/oidc/userinfo", headers=bearer).status_code == 401


# --- logout refuses to be an open redirector --------------------------------------------------


def forged_token(claims: dict[str, Any], *, kid: str) -> tuple[str, str]:
    """(alg:none token, token signed by a key identity never had) with the same claims."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": kid}).encode())
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode())
    unsigned = f"{header.rstrip(b'=').decode()}.{payload.rstrip(b'=').decode()}."
    stranger_key = RSAKey.generate_key(2048, parameters={"kid": kid})
    wrong_key = jose_jwt.encode({"alg": "RS256", "kid": kid}, claims, stranger_key)
    return unsigned, wrong_key


def test_logout_refuses_unregistered_targets_and_forged_hints(
    stack: Stack, first_party: RegisteredClient, browser: Browser
) -> None:
    verifier = generate_token(48)
    tokens = token_request(
        stack,
        first_party,
        grant_type="authorization_code",
        code=code_for(stack, browser, first_party, verifier),
        redirect_uri=first_party.redirect_uri,
        code_verifier=verifier,
    ).json()
    id_token = tokens["id_token"]
    logout = f"{stack.identity_url}/oidc/logout"
    attempts = [
        {"id_token_hint": id_token, "post_logout_redirect_uri": "https://attacker.example/"},
        {"client_id": first_party.client_id, "post_logout_redirect_uri": "//attacker.example"},
        {
            "client_id": first_party.client_id,
            "post_logout_redirect_uri": first_party.post_logout_redirect_uri + ".attacker.example",
        },
        # No client to check the address against.
        {"post_logout_redirect_uri": first_party.post_logout_redirect_uri},
        {"client_id": "no-such-client", "post_logout_redirect_uri": "https://attacker.example/"},
    ]
    header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
    claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    attempts.extend(
        {"id_token_hint": forged, "post_logout_redirect_uri": first_party.post_logout_redirect_uri}
        for forged in forged_token(claims, kid=header["kid"])
    )
    for params in attempts:
        response = browser.get(f"{logout}?{urlencode(params)}")
        assert response.status_code == 400, params
        assert "location" not in response.headers
        assert "invalid_request" in response.text
    # Still signed in: none of that ended the session.
    assert browser.get(f"{stack.identity_url}/api/v1/me").status_code == 200

    # Without a hint, a page cannot sign the user out behind their back: they are asked.
    response = browser.get(
        f"{logout}?"
        + urlencode(
            {
                "client_id": first_party.client_id,
                "post_logout_redirect_uri": first_party.post_logout_redirect_uri,
            }
        )
    )
    assert response.status_code == 200
    form = form_to(response.text, "/oidc/logout/confirm")
    assert "attacker" not in response.headers["content-security-policy"]
    assert browser.get(f"{stack.identity_url}/api/v1/me").status_code == 200
    landed, _ = browser.navigate(
        f"{stack.identity_url}{form.action}",
        method="POST",
        data={**form.fields, "decision": "logout"},
        stop=lambda u: u.startswith(first_party.post_logout_redirect_uri),
    )
    assert landed == first_party.post_logout_redirect_uri
    assert browser.get(f"{stack.identity_url}/api/v1/me").status_code == 401


# --- keys and administration ----------------------------------------------------------------


def test_signing_key_rotation_keeps_old_tokens_verifiable(
    stack: Stack, discovery: dict[str, Any], first_party: RegisteredClient, browser: Browser
) -> None:
    def id_token() -> str:
        verifier = generate_token(48)
        body = token_request(
            stack,
            first_party,
            grant_type="authorization_code",
            code=code_for(stack, browser, first_party, verifier),
            redirect_uri=first_party.redirect_uri,
            code_verifier=verifier,
        ).json()
        token: str = body["id_token"]
        return token

    def kid(token: str) -> str:
        header = json.loads(base64.urlsafe_b64decode(token.split(".", maxsplit=1)[0] + "=="))
        return str(header["kid"])

    old = id_token()
    result = identity_cli(stack.env_for("identity"), "keys", "rotate")
    assert result.returncode == 0, result.stderr
    assert "signing" in result.stdout
    assert "retired" in result.stdout

    new_tokens: list[str] = []

    def signed_with_new_key() -> bool:
        new_tokens.append(id_token())
        return kid(new_tokens[-1]) != kid(old)

    wait_until(signed_with_new_key, timeout=15, what="a token signed with the new key")
    jwks = httpx.get(discovery["jwks_uri"]).json()
    assert {kid(old), kid(new_tokens[-1])} <= {key["kid"] for key in jwks["keys"]}
    for token in (old, new_tokens[-1]):
        validate_id_token(token, jwks, issuer=stack.identity_url, client_id=first_party.client_id)
    assert all("d" not in key for key in jwks["keys"])  # never a private part


def test_client_registration_cli_and_admin_api(stack: Stack, receiver: Receiver) -> None:
    client_id = f"cli-{uuid.uuid4().hex[:8]}"
    created = identity_cli(
        stack.env_for("identity"),
        "clients",
        "create",
        "--client-id",
        client_id,
        "--redirect-uri",
        f"{receiver.url}/cb",
        "--min-level",
        "multi_factor",
        "--first-party",
        "--backchannel-logout-uri",
        f"{receiver.url}/backchannel",
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.split("client_secret: ")[1].split()[0]
    assert len(secret) >= 43
    listed = identity_cli(stack.env_for("identity"), "clients", "list")
    assert client_id in listed.stdout
    assert secret not in listed.stdout
    with database(stack.database_urls["identity"]) as connection:
        stored = connection.execute(
            "SELECT secret_hash, min_level, first_party FROM oidc_clients WHERE client_id = %s",
            (client_id,),
        ).fetchone()
    assert stored is not None
    assert bytes(stored[0]) == session_hash(secret)  # only the hash is kept
    assert stored[1:] == ("multi_factor", True)
    duplicate = identity_cli(
        stack.env_for("identity"),
        "clients",
        "create",
        "--client-id",
        client_id,
        "--redirect-uri",
        f"{receiver.url}/cb",
    )
    assert duplicate.returncode == 1  # could not be done as asked (2: a wrong invocation)
    assert "already registered" in duplicate.stderr

    admin = f"{stack.identity_url}/oidc/admin/clients"
    assert httpx.get(admin).status_code == 401
    assert httpx.get(admin, headers={"Authorization": "Bearer v1.admin.1.x"}).status_code == 401
    assert httpx.get(admin, headers=admin_headers(stack, caller="notifier")).status_code == 403
    shown = httpx.get(f"{admin}/{client_id}", headers=admin_headers(stack))
    assert shown.status_code == 200
    assert "client_secret" not in shown.json()
    bad = httpx.post(
        admin,
        json={"client_id": "x", "name": "x", "redirect_uris": ["https://a.example/cb#frag"]},
        headers=admin_headers(stack),
    )
    assert bad.status_code == 422
    assert httpx.delete(f"{admin}/{client_id}", headers=admin_headers(stack)).status_code == 204
    assert httpx.get(f"{admin}/{client_id}", headers=admin_headers(stack)).status_code == 404


def test_refresh_tokens_never_outlive_the_identity_session(
    stack: Stack, first_party: RegisteredClient, browser: Browser
) -> None:
    verifier = generate_token(48)
    code_for(stack, browser, first_party, verifier)
    with database(stack.database_urls["identity"]) as connection:
        row = connection.execute(
            """SELECT g.expires_at, s.expires_at FROM oidc_grants g
                 JOIN sessions s ON s.id_hash = g.session_id_hash
                ORDER BY g.created_at DESC LIMIT 1"""
        ).fetchone()
    assert row is not None
    assert row[0] <= row[1]
    assert row[0] <= datetime.now(UTC) + timedelta(hours=12, minutes=1)
