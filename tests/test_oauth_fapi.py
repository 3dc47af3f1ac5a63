"""Identity's OAuth core at FAPI 2.0 Security Profile level (issue 19, point 3), driven by a client
library no other test uses (requests-oauth2client) for the flows, and by hand (joserfc) for the
attacks of RFC 9700 a library would never send: pushed authorization requests (RFC 9126),
DPoP (RFC 9449) at identity and at the registry, private_key_jwt (RFC 7523), `iss` in the
authorization response (RFC 9207) and the client_credentials grant."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey
from jwskate import Jwk
from requests_oauth2client import (
    BearerToken,
    DPoPToken,
    OAuth2Client,
    PrivateKeyJwt,
)

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from gatehouse_identity.oidc.dpop import NonceSource
from tests.journeys import Account
from tests.oidc_helpers import (
    Browser,
    admin_headers,
    database,
    identity_cli,
    new_account,
    query_of,
    raise_session_level,
    registry_browser,
    sign_in,
)

pytestmark = [pytest.mark.stack, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

REDIRECT_BASE = "http://127.0.0.1:9/app"  # the browser stops before fetching it


# --- set-up --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def account(stack: Stack) -> Account:
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        return new_account(stack, mailbox)


@pytest.fixture
def browser(stack: Stack, account: Account) -> Iterator[Browser]:
    signed_in = Browser()
    sign_in(stack, signed_in, account)
    yield signed_in
    signed_in.close()


def register(stack: Stack, **fields: Any) -> dict[str, Any]:
    """A new client through the admin API (first party, password level unless told)."""
    client_id = f"fapi-{uuid.uuid4().hex[:10]}"
    body = {
        "client_id": client_id,
        "name": client_id,
        "redirect_uris": [f"{REDIRECT_BASE}/cb"],
        "min_level": "password",
        "first_party": True,
        **fields,
    }
    response = httpx.post(
        f"{stack.identity_url}/oidc/admin/clients", json=body, headers=admin_headers(stack)
    )
    assert response.status_code == 201, response.text
    registered: dict[str, Any] = response.json()
    return registered


def ec_key() -> Jwk:
    return Jwk.generate(alg="ES256").with_kid_thumbprint()


def library_client(stack: Stack, auth: Any, **options: Any) -> OAuth2Client:
    base = stack.identity_url
    options.setdefault("redirect_uri", f"{REDIRECT_BASE}/cb")
    return OAuth2Client(
        token_endpoint=f"{base}/oidc/token",
        pushed_authorization_request_endpoint=f"{base}/oidc/par",
        authorization_endpoint=f"{base}/oidc/authorize",
        userinfo_endpoint=f"{base}/oidc/userinfo",
        issuer=base,
        authorization_server_jwks=httpx.get(f"{base}/oidc/jwks").json(),
        authorization_response_iss_parameter_supported=True,
        auth=auth,
        testing=True,  # http on loopback
        **options,
    )


def through_browser(browser: Browser, url: str) -> str:
    """Where identity sends the browser back to the client (a URL with code or error)."""
    landed, page = browser.navigate(url, stop=lambda u: u.startswith(REDIRECT_BASE))
    assert page is None, page.text[:2000] if page else ""
    return landed


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def proof(
    key: ECKey | RSAKey,
    *,
    htm: str,
    htu: str,
    nonce: str | None = None,
    access_token: str | None = None,
    alg: str = "ES256",
    typ: str = "dpop+jwt",
    jwk: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A DPoP proof made by hand, so that each attack can break exactly one rule."""
    body: dict[str, Any] = {
        "jti": uuid.uuid4().hex,
        "htm": htm,
        "htu": htu,
        "iat": int(time.time()),
    }
    if nonce:
        body["nonce"] = nonce
    if access_token:
        body["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
    header = {"alg": alg, "typ": typ, "jwk": jwk or key.as_dict(private=False)}
    return jws.serialize_compact(header, json.dumps(body | claims).encode(), key, algorithms=[alg])


def nonce_of(stack: Stack, url: str, **request: Any) -> str:
    """The nonce identity hands out (asking once without one, as RFC 9449 §8 has it)."""
    key = ECKey.generate_key("P-256")
    response = httpx.post(url, headers={"DPoP": proof(key, htm="POST", htu=url)}, **request)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "use_dpop_nonce"
    return response.headers["DPoP-Nonce"]


# --- PAR -------------------------------------------------------------------------------------


def test_par_with_dpop_and_private_key_jwt_end_to_end(stack: Stack, browser: Browser) -> None:
    """The FAPI 2.0 shape, entirely by the library: private_key_jwt, PAR, PKCE, DPoP-bound
    code and tokens, `iss` in the response; the request_uri works once."""
    private = ec_key()
    client = register(
        stack,
        jwks={"keys": [private.public_jwk().to_dict()]},
        require_pushed_authorization_requests=True,
        dpop_bound_access_tokens=True,
    )
    assert client["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in client
    oauth = library_client(
        stack, PrivateKeyJwt(client["client_id"], private), dpop_bound_access_tokens=True
    )
    request = oauth.authorization_request(scope="openid profile")
    pushed = oauth.pushed_authorization_request(request)
    assert pushed.request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    assert set(query_of(pushed.uri)) == {"client_id", "request_uri"}  # nothing else travels
    # validate_callback checks state and, RFC 9207, that iss is identity.
    response = request.validate_callback(through_browser(browser, pushed.uri))
    # (The library's own ID token check cannot copy a DPoPToken, version 1.8: done below.)
    token = oauth.authorization_code(response, validate=False)
    assert isinstance(token, DPoPToken)
    id_token = BearerToken(
        access_token=token.access_token, id_token=str(token.id_token)
    ).validate_id_token(oauth, response)
    assert id_token.id_token is not None
    assert id_token.id_token.issuer == stack.identity_url
    assert token.token_type == "DPoP"
    assert request.dpop_key is not None
    assert claims_of(token.access_token)["cnf"] == {"jkt": request.dpop_key.dpop_jkt}
    # The bound token works at userinfo with its proof (the library adds one per request).
    assert oauth.userinfo(token)["sub"]
    # ... and not as a bearer token.
    bearer = httpx.get(
        f"{stack.identity_url}/oidc/userinfo",
        headers={"Authorization": f"Bearer {token.access_token}"},
    )
    assert bearer.status_code == 401

    # The request_uri was spent: the browser is refused on identity's page, not redirected.
    _, page = browser.navigate(pushed.uri, stop=lambda u: u.startswith(REDIRECT_BASE))
    assert page is not None
    assert page.status_code == 400


def _push(stack: Stack, client: dict[str, Any], **fields: str) -> httpx.Response:
    body = {
        "response_type": "code",
        "redirect_uri": f"{REDIRECT_BASE}/cb",
        "scope": "openid",
        "state": "s",
        "code_challenge": b64url(hashlib.sha256(b"v" * 43).digest()),
        "code_challenge_method": "S256",
        **fields,
    }
    return httpx.post(
        f"{stack.identity_url}/oidc/par",
        data=body,
        auth=(client["client_id"], client.get("client_secret") or ""),
    )


def _authorize(stack: Stack, client_id: str, request_uri: str) -> str:
    return (
        f"{stack.identity_url}/oidc/authorize?"
        + httpx.QueryParams({"client_id": client_id, "request_uri": request_uri}).__str__()
    )


def test_par_negatives(stack: Stack, browser: Browser) -> None:
    required = register(stack, require_pushed_authorization_requests=True)
    other = register(stack)

    # A client that must push is refused a plain request (to its registered redirect URI).
    plain = through_browser(
        browser,
        f"{stack.identity_url}/oidc/authorize?"
        + str(
            httpx.QueryParams(
                {
                    "response_type": "code",
                    "client_id": required["client_id"],
                    "redirect_uri": f"{REDIRECT_BASE}/cb",
                    "scope": "openid",
                    "state": "s",
                }
            )
        ),
    )
    assert query_of(plain)["error"] == "invalid_request"
    assert query_of(plain)["iss"] == stack.identity_url
    assert "code" not in query_of(plain)

    # Pushing needs the client's authentication; the parameters are checked at once.
    anonymous = httpx.post(
        f"{stack.identity_url}/oidc/par",
        data={"client_id": required["client_id"], "response_type": "code"},
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"
    for bad, error in (
        ({"redirect_uri": "https://attacker.example/cb"}, "invalid_request"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:x"}, "invalid_request"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ):
        refused = _push(stack, required, **bad)
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["error"] == error, bad

    # Another client's request_uri is refused, and stays usable by its owner.
    pushed = _push(stack, required)
    assert pushed.status_code == 201, pushed.text
    assert pushed.json()["expires_in"] == 60
    request_uri = pushed.json()["request_uri"]
    _, page = browser.navigate(
        _authorize(stack, other["client_id"], request_uri),
        stop=lambda u: u.startswith(REDIRECT_BASE),
    )
    assert page is not None
    assert page.status_code == 400
    landed = through_browser(browser, _authorize(stack, required["client_id"], request_uri))
    assert "code" in query_of(landed)

    # An expired one is refused. TEST FIXTURE: the request is aged in the database rather than
    # waiting its 60 s (tests must not depend on timing).
    expiring = _push(stack, required).json()["request_uri"]
    with database(stack.database_urls["identity"]) as connection:
        connection.execute(
            "UPDATE oidc_pushed_authorization_requests SET expires_at = now() - interval '1 s'"
            " WHERE client_id = %s",
            (required["client_id"],),
        )
    _, page = browser.navigate(
        _authorize(stack, required["client_id"], expiring),
        stop=lambda u: u.startswith(REDIRECT_BASE),
    )
    assert page is not None
    assert page.status_code == 400


# --- DPoP at the token endpoint ------------------------------------------------------------


@pytest.fixture(scope="module")
def machine(stack: Stack) -> dict[str, Any]:
    """A client_credentials client with a secret."""
    return register(stack, grant_types=["client_credentials"], redirect_uris=[])


def test_dpop_nonce_then_bound_token_then_rotation(stack: Stack, machine: dict[str, Any]) -> None:
    url = f"{stack.identity_url}/oidc/token"
    auth = (machine["client_id"], machine["client_secret"])
    form = {"grant_type": "client_credentials"}
    key = ECKey.generate_key("P-256")

    first = httpx.post(url, data=form, auth=auth, headers={"DPoP": proof(key, htm="POST", htu=url)})
    assert first.status_code == 400
    assert first.json()["error"] == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]

    good = proof(key, htm="POST", htu=url, nonce=nonce)
    issued = httpx.post(url, data=form, auth=auth, headers={"DPoP": good})
    assert issued.status_code == 200, issued.text
    assert issued.json()["token_type"] == "DPoP"
    assert claims_of(issued.json()["access_token"])["cnf"] == {"jkt": key.thumbprint()}
    assert claims_of(issued.json()["access_token"])["sub"] == machine["client_id"]
    # Every answer carries a fresh nonce to move on to.
    assert issued.headers["DPoP-Nonce"] not in ("", nonce)

    # The same proof again is a replay.
    replayed = httpx.post(url, data=form, auth=auth, headers={"DPoP": good})
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_dpop_proof"

    # A nonce past its lifetime is refused with a new one (made here with identity's key, as
    # identity made it NONCE_LIFETIME_S + 60 s ago, rather than waiting 6 minutes).
    source = NonceSource.from_secret(stack.services["identity"].env["SECRET_KEY"])
    stale = source.issue(now=time.time() - source.lifetime_s - 60)
    old = httpx.post(
        url, data=form, auth=auth, headers={"DPoP": proof(key, htm="POST", htu=url, nonce=stale)}
    )
    assert old.status_code == 400
    assert old.json()["error"] == "use_dpop_nonce"
    assert old.headers["DPoP-Nonce"] != stale
    # A nonce made up by the client is no better.
    forged = proof(key, htm="POST", htu=url, nonce=b64url(b"x" * 32))
    assert httpx.post(url, data=form, auth=auth, headers={"DPoP": forged}).json()["error"] == (
        "use_dpop_nonce"
    )


def test_dpop_proofs_that_must_be_refused(stack: Stack, machine: dict[str, Any]) -> None:
    url = f"{stack.identity_url}/oidc/token"
    auth = (machine["client_id"], machine["client_secret"])
    form = {"grant_type": "client_credentials"}
    nonce = nonce_of(stack, url, data=form, auth=auth)
    key = ECKey.generate_key("P-256")
    rsa = RSAKey.generate_key(2048)
    attacks = {
        "private key material in jwk": proof(
            key, htm="POST", htu=url, nonce=nonce, jwk=key.as_dict(private=True)
        ),
        "wrong htu": proof(key, htm="POST", htu=f"{stack.identity_url}/oidc/par", nonce=nonce),
        "wrong htm": proof(key, htm="GET", htu=url, nonce=nonce),
        "expired iat": proof(key, htm="POST", htu=url, nonce=nonce, iat=int(time.time()) - 600),
        "iat in the future": proof(
            key, htm="POST", htu=url, nonce=nonce, iat=int(time.time()) + 600
        ),
        "typ JWT": proof(key, htm="POST", htu=url, nonce=nonce, typ="JWT"),
        "RS256 (not FAPI 2.0)": proof(rsa, htm="POST", htu=url, nonce=nonce, alg="RS256"),
        "signed by another key": proof(
            key,
            htm="POST",
            htu=url,
            nonce=nonce,
            jwk=ECKey.generate_key("P-256").as_dict(private=False),
        ),
        "no jti": proof(key, htm="POST", htu=url, nonce=nonce, jti=None),
        "not a JWT": "not-a-jwt",
    }
    for what, bad in attacks.items():
        response = httpx.post(url, data=form, auth=auth, headers={"DPoP": bad})
        assert response.status_code == 400, (what, response.text)
        assert response.json()["error"] == "invalid_dpop_proof", (what, response.text)
    # "alg": "none" and HMAC: refused as well (RFC 9449 §4.3 point 5).
    unsigned = ".".join(
        [
            b64url(
                json.dumps(
                    {"alg": "none", "typ": "dpop+jwt", "jwk": key.as_dict(private=False)}
                ).encode()
            ),
            b64url(
                json.dumps(
                    {"jti": "x", "htm": "POST", "htu": url, "iat": int(time.time())}
                ).encode()
            ),
            "",
        ]
    )
    response = httpx.post(url, data=form, auth=auth, headers={"DPoP": unsigned})
    assert response.json()["error"] == "invalid_dpop_proof"
    # Two DPoP headers.
    two = httpx.post(
        url,
        data=form,
        auth=auth,
        headers=[("DPoP", proof(key, htm="POST", htu=url, nonce=nonce))] * 2,
    )
    assert two.json()["error"] == "invalid_dpop_proof"


def test_a_client_that_must_use_dpop_gets_no_bearer_token(stack: Stack) -> None:
    client = register(stack, grant_types=["client_credentials"], dpop_bound_access_tokens=True)
    response = httpx.post(
        f"{stack.identity_url}/oidc/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_public_client_refresh_tokens_are_bound_to_its_key(stack: Stack, browser: Browser) -> None:
    client = register(stack, public=True)
    oauth = library_client(stack, client["client_id"], dpop_bound_access_tokens=True)
    request = oauth.authorization_request(scope="openid")
    pushed = oauth.pushed_authorization_request(request)
    token = oauth.authorization_code(
        request.validate_callback(through_browser(browser, pushed.uri)), validate=False
    )
    assert isinstance(token, DPoPToken)
    assert token.refresh_token
    url = f"{stack.identity_url}/oidc/token"
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token.refresh_token,
        "client_id": client["client_id"],
    }
    # Without a proof, or with a proof by another key: refused (and not spent).
    assert httpx.post(url, data=form).json()["error"] == "invalid_grant"
    thief = ECKey.generate_key("P-256")
    nonce = nonce_of(stack, url, data=form)
    stolen = httpx.post(
        url, data=form, headers={"DPoP": proof(thief, htm="POST", htu=url, nonce=nonce)}
    )
    assert stolen.json()["error"] == "invalid_grant", stolen.text
    # The key's holder refreshes (the library adds the proof and follows the nonce).
    refreshed = oauth.refresh_token(token)
    assert isinstance(refreshed, DPoPToken)
    assert claims_of(refreshed.access_token)["cnf"] == {"jkt": token.dpop_key.dpop_jkt}


# --- the registry as resource server ----------------------------------------------------------


def test_a_stolen_dpop_token_is_refused_at_the_registry(
    stack: Stack, mailbox: MailboxClient
) -> None:
    """The registry's own client gets a DPoP-bound token; the registry accepts it only with a
    proof by that key, for that request, once."""
    browser = Browser()
    sign_in(stack, browser, new_account(stack, mailbox))
    raise_session_level(
        stack.database_urls["identity"], browser, level="multi_factor", amr=["pwd", "otp", "mfa"]
    )
    registry = stack.registry_url
    env = stack.services["registry"].env
    oauth = library_client(
        stack,
        (env.get("OIDC_CLIENT_ID", "registry"), env["OIDC_CLIENT_SECRET"]),
        redirect_uri=f"{registry}/auth/callback",
        dpop_bound_access_tokens=True,
    )
    request = oauth.authorization_request(scope="openid profile email")
    pushed = oauth.pushed_authorization_request(request)
    landed, _ = browser.navigate(
        pushed.uri, stop=lambda u: u.startswith(f"{registry}/auth/callback")
    )
    token = oauth.authorization_code(request.validate_callback(landed), validate=False)
    assert isinstance(token, DPoPToken)
    me = f"{registry}/auth/me"
    owner = requests.get(me, auth=token, headers={"Accept": "application/json"}, timeout=30)
    assert owner.status_code == 200, owner.text

    access = token.access_token
    thief = ECKey.generate_key("P-256")
    assert token.dpop_key is not None
    owner_key = ECKey.import_key(token.dpop_key.private_key.to_dict())
    replayable = proof(owner_key, htm="GET", htu=me, access_token=access)
    assert (
        httpx.get(me, headers={"Authorization": f"DPoP {access}", "DPoP": replayable}).status_code
        == 200
    )
    attempts = {
        "as a bearer token": {"Authorization": f"Bearer {access}"},
        "DPoP without a proof": {"Authorization": f"DPoP {access}"},
        "a proof by another key": {
            "Authorization": f"DPoP {access}",
            "DPoP": proof(thief, htm="GET", htu=me, access_token=access),
        },
        "the owner's proof replayed": {"Authorization": f"DPoP {access}", "DPoP": replayable},
        "a proof for another URI": {
            "Authorization": f"DPoP {access}",
            "DPoP": proof(owner_key, htm="GET", htu=f"{registry}/api/v1/me", access_token=access),
        },
        "a proof for another token": {
            "Authorization": f"DPoP {access}",
            "DPoP": proof(owner_key, htm="GET", htu=me, access_token="another"),
        },
    }
    for what, headers in attempts.items():
        response = httpx.get(me, headers={**headers, "Accept": "application/json"})
        assert response.status_code == 401, (what, response.text)
    browser.close()


# --- private_key_jwt and client_credentials -----------------------------------------------------


def _assertion(
    key: ECKey | RSAKey, client_id: str, aud: str, *, alg: str = "ES256", **claims: Any
) -> str:
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "jti": uuid.uuid4().hex,
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    return jws.serialize_compact(
        {"alg": alg, "kid": key.kid or ""},
        json.dumps(body | claims).encode(),
        key,
        algorithms=[alg],
    )


def test_private_key_jwt_and_client_credentials(stack: Stack) -> None:
    private = ec_key()
    client = register(
        stack,
        grant_types=["client_credentials"],
        redirect_uris=[],
        jwks={"keys": [private.public_jwk().to_dict()]},
    )
    client_id = client["client_id"]
    oauth = library_client(stack, PrivateKeyJwt(client_id, private))
    token = oauth.client_credentials()
    claims = claims_of(token.access_token)
    assert claims["sub"] == client_id
    assert claims["client_id"] == client_id
    assert "sid" not in claims
    assert token.refresh_token is None

    url = f"{stack.identity_url}/oidc/token"
    key = ECKey.import_key(private.to_dict())
    assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    def attempt(assertion: str, **extra: str) -> httpx.Response:
        return httpx.post(
            url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": assertion_type,
                "client_assertion": assertion,
                **extra,
            },
        )

    once = _assertion(key, client_id, stack.identity_url)
    assert attempt(once).status_code == 200
    refusals = {
        "replayed": once,
        "another key": _assertion(ECKey.generate_key("P-256", auto_kid=True), client_id, url),
        "another audience": _assertion(key, client_id, "https://elsewhere.example"),
        "expired": _assertion(key, client_id, url, exp=int(time.time()) - 60),
        "living an hour": _assertion(key, client_id, url, exp=int(time.time()) + 3600),
        "another subject": _assertion(key, client_id, url, sub="someone"),
        "no jti": _assertion(key, client_id, url, jti=None),
    }
    for what, assertion in refusals.items():
        response = attempt(assertion)
        assert response.status_code == 401, (what, response.text)
        assert response.json()["error"] == "invalid_client", what
    # Its client_id alone does not make it a public client; nor does a made-up secret.
    assert (
        httpx.post(
            url, data={"grant_type": "client_credentials", "client_id": client_id}
        ).status_code
        == 401
    )
    assert (
        httpx.post(
            url, data={"grant_type": "client_credentials"}, auth=(client_id, "x" * 43)
        ).status_code
        == 401
    )
    # A client without the grant may not use it; a public client cannot have it.
    user_client = register(stack)
    response = httpx.post(
        url,
        data={"grant_type": "client_credentials"},
        auth=(user_client["client_id"], user_client["client_secret"]),
    )
    assert response.json()["error"] == "unauthorized_client"
    refused = httpx.post(
        f"{stack.identity_url}/oidc/admin/clients",
        json={
            "client_id": f"fapi-{uuid.uuid4().hex[:8]}",
            "name": "x",
            "public": True,
            "grant_types": ["client_credentials"],
        },
        headers=admin_headers(stack),
    )
    assert refused.status_code == 422
    assert "grant_types" in refused.text
    private_in_jwks = httpx.post(
        f"{stack.identity_url}/oidc/admin/clients",
        json={
            "client_id": f"fapi-{uuid.uuid4().hex[:8]}",
            "name": "x",
            "grant_types": ["client_credentials"],
            "jwks": {"keys": [private.to_dict()]},
        },
        headers=admin_headers(stack),
    )
    assert private_in_jwks.status_code == 422
    assert "jwks" in private_in_jwks.text


def test_discovery_advertises_the_fapi_features(stack: Stack) -> None:
    document = httpx.get(f"{stack.identity_url}/.well-known/openid-configuration").json()
    assert document["pushed_authorization_request_endpoint"] == f"{stack.identity_url}/oidc/par"
    assert "ES256" in document["dpop_signing_alg_values_supported"]
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]
    assert "client_credentials" in document["grant_types_supported"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert "RS256" not in document["token_endpoint_auth_signing_alg_values_supported"]


def test_the_registrys_sign_in_pushes_its_request(stack: Stack) -> None:
    """The registry's own sign-in uses PAR (issue 19 point 3): the browser carries nothing of
    the request but a request_uri."""
    browser = Browser()
    authorize = f"{stack.identity_url}/oidc/authorize"
    landed, page = browser.navigate(
        f"{stack.registry_url}/auth/login?next=/", stop=lambda u: u.startswith(authorize)
    )
    assert page is None, page.text[:1000] if page else ""
    query = query_of(landed)
    assert set(query) == {"client_id", "request_uri"}, landed
    assert query["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    browser.close()


class _JwksServer:
    """A client's jwks_uri on 127.0.0.1: serves whatever `keys` holds now (so a test can rotate)."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {"keys": []}
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(served.keys).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_private_key_jwt_with_a_jwks_uri_follows_a_key_rotation(stack: Stack) -> None:
    published = _JwksServer()
    old, new = ec_key(), ec_key()
    published.keys = {"keys": [old.public_jwk().to_dict()]}
    client = register(
        stack, grant_types=["client_credentials"], redirect_uris=[], jwks_uri=published.url
    )
    assert client["token_endpoint_auth_method"] == "private_key_jwt"
    assert library_client(stack, PrivateKeyJwt(client["client_id"], old)).client_credentials()
    # The company rotates: identity fetches the keys again for a key id it has not seen.
    published.keys = {"keys": [new.public_jwk().to_dict()]}
    assert library_client(stack, PrivateKeyJwt(client["client_id"], new)).client_credentials()
    published.close()


def test_the_registrys_sign_in_binds_its_code_and_tokens_to_its_dpop_key(
    stack: Stack, mailbox: MailboxClient
) -> None:
    """The registry's own sign-in uses DPoP too (issue 19 point 3): the code is bound at PAR and
    redeemed with the registry's proof, so a code leaking through the browser is useless.
    TEST FIXTURE: the binding is read from identity's database, since the registry keeps the
    tokens to itself."""
    browser = registry_browser(stack, mailbox)
    browser.close()
    with database(stack.database_urls["identity"]) as connection:
        code_jkt, token_jkt = connection.execute(
            """SELECT c.dpop_jkt, a.dpop_jkt
                 FROM oidc_grants g
                 JOIN oidc_authorization_codes c ON c.grant_id = g.id
                 JOIN oidc_access_tokens a ON a.grant_id = g.id
                WHERE g.client_id = %s ORDER BY g.created_at DESC LIMIT 1""",
            (stack.services["registry"].env.get("OIDC_CLIENT_ID", "registry"),),
        ).fetchone()
    assert code_jkt is not None
    assert token_jkt == code_jkt


def test_the_cli_registers_a_fapi_machine_client(stack: Stack, tmp_path: Path) -> None:
    """`clients create` with the FAPI options: a machine with its key, DPoP-bound tokens, and
    a user-facing client that must push its requests."""
    private = ec_key()
    jwks_file = tmp_path / "acme.jwks"
    jwks_file.write_text(json.dumps({"keys": [private.public_jwk().to_dict()]}))
    machine_id = f"cli-{uuid.uuid4().hex[:8]}"
    env = stack.env_for("identity")
    created = identity_cli(
        env,
        *("clients", "create", "--client-id", machine_id, "--json", "--dpop"),
        *("--grant-type", "client_credentials", "--jwks-file", str(jwks_file)),
    )
    assert created.returncode == 0, created.stderr
    shown = json.loads(created.stdout)
    assert shown["token_endpoint_auth_method"] == "private_key_jwt"
    assert shown["grant_types"] == ["client_credentials"]
    assert shown["dpop_bound_access_tokens"] is True
    assert "client_secret" not in shown
    token = library_client(
        stack, PrivateKeyJwt(machine_id, private), dpop_bound_access_tokens=True
    ).client_credentials()
    assert isinstance(token, DPoPToken)

    pushed_only = identity_cli(
        env,
        *("clients", "create", "--client-id", f"cli-{uuid.uuid4().hex[:8]}", "--json"),
        *("--redirect-uri", f"{REDIRECT_BASE}/cb", "--require-par"),
    )
    assert pushed_only.returncode == 0, pushed_only.stderr
    assert json.loads(pushed_only.stdout)["require_pushed_authorization_requests"] is True
    # A private key in the file is refused, naming the field.
    jwks_file.write_text(json.dumps({"keys": [private.to_dict()]}))
    refused = identity_cli(
        env,
        *("clients", "create", "--client-id", f"cli-{uuid.uuid4().hex[:8]}"),
        *("--grant-type", "client_credentials", "--jwks-file", str(jwks_file)),
    )
    assert refused.returncode != 0
    assert "jwks" in refused.stderr
