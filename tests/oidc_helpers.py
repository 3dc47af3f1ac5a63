"""Helpers for the single sign-on tests (test_oidc*.py, test_registry_login*.py): a cookie-keeping
"browser" that follows redirects across services, form reading, OIDC client registration, a
receiver for back-channel logout POSTs, and direct database access used as a test fixture only
where a test says why."""

from __future__ import annotations

import email.message
import hashlib
import http.cookiejar
import http.server
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import psycopg

from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, free_ports
from tests.journeys import Account, create_account, identity_client

IDENTITY_SESSION_COOKIE = "__Host-gatehouse_session"
REDIRECTS = {301, 302, 303, 307, 308}


# --- a browser ----------------------------------------------------------------------------


class _SetCookies:
    """What http.cookiejar needs from a response: its headers as a Message."""

    def __init__(self, response: httpx.Response) -> None:
        self._message = email.message.Message()
        for value in response.headers.get_list("set-cookie"):
            self._message["Set-Cookie"] = value

    def info(self) -> email.message.Message:
        return self._message


class Browser:
    """An HTTP client that keeps cookies like a browser on http://127.0.0.1 does: browsers treat
    loopback as a secure context, so `Secure` and `__Host-` cookies are sent there (httpx's own
    cookie handling would not send them over http, so the jar is managed here)."""

    def __init__(self) -> None:
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("http", "https"))
        self.jar = http.cookiejar.CookieJar(policy=policy)
        self._http = httpx.Client(
            follow_redirects=False,
            timeout=30,
            headers={"Accept": "text/html,application/xhtml+xml"},
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        cookie_request = urllib.request.Request(url, method=method)  # noqa: S310  (never opened)
        self.jar.add_cookie_header(cookie_request)
        headers = dict(kwargs.pop("headers", None) or {})
        if cookie_request.has_header("Cookie"):
            headers["Cookie"] = cookie_request.get_header("Cookie")
        response = self._http.request(method, url, headers=headers, **kwargs)
        self._http.cookies.clear()  # this jar is the only one
        self.jar.extract_cookies(_SetCookies(response), cookie_request)  # type: ignore[arg-type]
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def cookie(self, name: str, host: str = "127.0.0.1") -> str | None:
        for cookie in self.jar:
            if cookie.name == name and cookie.domain in (host, f"{host}.local"):
                return cookie.value
        return None

    def navigate(
        self,
        url: str,
        *,
        stop: Callable[[str], bool] = lambda _url: False,
        method: str = "GET",
        data: dict[str, str] | None = None,
        max_hops: int = 15,
    ) -> tuple[str, httpx.Response | None]:
        """Follow redirects (and `Refresh` pages) from `url`; stop (without fetching) at the
        first URL for which `stop` is true. Returns the last URL and its response (None when
        stopped)."""
        response = self.request(method, url, data=data)
        current = url
        for _ in range(max_hops):
            if response.status_code in REDIRECTS:
                target = response.headers["location"]
            else:
                # A page that moves on by itself (`Refresh`), as browsers follow it.
                refresh = response.headers.get("refresh", "")
                if ";url=" not in refresh:
                    return current, response
                target = refresh.split(";url=", 1)[1]
            current = urljoin(current, target)
            if stop(current):
                return current, None
            response = self.get(current)
        raise AssertionError(f"too many redirects, last {current}")


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(action=values.get("action", "")))
        elif self.forms and tag == "input" and values.get("name"):
            if values.get("type") == "checkbox" and "checked" not in values:
                return
            self.forms[-1].fields[values["name"]] = values.get("value", "on")
        elif self.forms and tag == "button" and values.get("name"):
            self.forms[-1].buttons.append((values["name"], values.get("value", "")))


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_to(html: str, action_prefix: str) -> Form:
    for candidate in forms(html):
        if candidate.action.startswith(action_prefix):
            return candidate
    raise AssertionError(f"no form posting to {action_prefix} in:\n{html[:3000]}")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# --- identity accounts and sessions ---------------------------------------------------------


def new_account(stack: Stack, mailbox: MailboxClient) -> Account:
    with identity_client(stack) as client:
        return create_account(client, mailbox)


def sign_in(stack: Stack, browser: Browser, account: Account, *, base: str | None = None) -> None:
    """Sign in with the password (level "password"); the session cookie lands in the browser."""
    response = browser.post(
        f"{base or stack.identity_url}/api/v1/sessions",
        json={"email": account.email, "password": account.password},
    )
    assert response.status_code == 201, response.text


def session_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@contextmanager
def database(url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


def raise_session_level(
    database_url: str, browser: Browser, *, level: str, amr: list[str], host: str = "127.0.0.1"
) -> None:
    """TEST FIXTURE for OIDC tests only: put the browser's identity session at `level` as if a
    second factor had been used. Second factors are another engineer's work (gatehouse_identity
    .mfa) and are tested there; these tests are about what the OIDC provider and the relying
    parties do with a session's level."""
    token = browser.cookie(IDENTITY_SESSION_COOKIE, host)
    assert token, "the browser has no identity session"
    with database(database_url) as connection:
        updated = connection.execute(
            "UPDATE sessions SET level = %s, amr = %s WHERE id_hash = %s",
            (level, amr, session_hash(token)),
        ).rowcount
    assert updated == 1


def registry_browser(stack: Stack, mailbox: MailboxClient) -> Browser:
    """A browser signed in to the registry (a new user, no role yet) at multi-factor level: the
    identity session is raised as `raise_session_level` says, then the registry's login runs."""
    browser = Browser()
    sign_in(stack, browser, new_account(stack, mailbox))
    raise_session_level(
        stack.database_urls["identity"], browser, level="multi_factor", amr=["pwd", "otp", "mfa"]
    )
    _, page = browser.navigate(f"{stack.registry_url}/auth/profile")
    assert page is not None
    assert page.status_code == 200, page.text
    return browser


# --- OIDC clients -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str


def admin_headers(stack: Stack, caller: str = "admin") -> dict[str, str]:
    token = mint_service_token(stack.service_auth_secret.encode(), caller=caller)
    return {"Authorization": f"Bearer {token}"}


def register_client(
    stack: Stack,
    *,
    base_url: str,
    min_level: str = "password",
    first_party: bool = False,
    public: bool = False,
    backchannel_logout_uri: str | None = None,
    identity_url: str | None = None,
) -> RegisteredClient:
    """A new client through the admin API, redirecting to `base_url`/cb."""
    client_id = f"test-{uuid.uuid4().hex[:10]}"
    body = {
        "client_id": client_id,
        "name": f"Test application {client_id}",
        "redirect_uris": [f"{base_url}/cb"],
        "post_logout_redirect_uris": [f"{base_url}/signed-out"],
        "backchannel_logout_uri": backchannel_logout_uri,
        "min_level": min_level,
        "first_party": first_party,
        "public": public,
    }
    response = httpx.post(
        f"{identity_url or stack.identity_url}/oidc/admin/clients",
        json=body,
        headers=admin_headers(stack),
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return RegisteredClient(
        client_id=client_id,
        client_secret=response.json().get("client_secret"),
        redirect_uri=f"{base_url}/cb",
        post_logout_redirect_uri=f"{base_url}/signed-out",
    )


def identity_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatehouse_identity", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- a relying party's back-channel endpoint ------------------------------------------------


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records the bodies POSTed to it and answers 200:
    the back-channel logout endpoint of test clients (their redirect URIs point here too, but
    browsers in these tests stop before fetching them)."""

    def __init__(self) -> None:
        (self.port,) = free_ports(1)
        self.posts: list[tuple[str, dict[str, list[str]]]] = []
        received = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                received.append((self.path, parse_qs(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for_post(self, path: str, *, timeout: float = 15.0) -> dict[str, list[str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for received_path, body in self.posts:
                if received_path == path:
                    return body
            time.sleep(0.05)
        raise AssertionError(f"nothing was POSTed to {path} within {timeout} s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_until(check: Callable[[], bool], *, timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}")
