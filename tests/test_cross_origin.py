"""No cross-origin state change (issue 13, finding 3): every state-changing route of every
service — taken from the applications themselves, so a route added later is covered without
anyone adding it here — refuses a cross-origin form post carrying the user's cookies, and the
databases are unchanged afterwards. Routes that are cross-origin by design (OpenID Connect) are
exempt only by an explicit, reasoned declaration."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any
from unittest import mock

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from gatehouse_common.cross_origin import exempt_routes
from gatehouse_common.db import Database, create_engine
from gatehouse_common.resources import ServiceResources
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from gatehouse_identity.app import create_app as identity_app
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.settings import IdentitySettings
from gatehouse_notifier.app import create_app as notifier_app
from gatehouse_notifier.context import NotifierContext
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_registry.app import create_app as registry_app
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.settings import RegistrySettings
from tests.oidc_helpers import Browser, new_account, registry_browser, sign_in

pytestmark = pytest.mark.stack

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SERVICES = ("identity", "registry", "notifier")
# Columns the services' background workers update by themselves (outbox relay, back-channel
# logout delivery): not something a request changed.
BACKGROUND_COLUMNS = (
    "published_at",
    "publish_attempts",
    "last_error",
    "attempts",
    "next_attempt_at",
    "delivered_at",
    "abandoned_at",
)
BACKGROUND_TABLES = {"handled_events"}  # the registry's event consumer


def build_app(service: str, env: dict[str, str]) -> FastAPI:
    """The service's real application, built from its own factory with the stack's settings
    (never served: only its routes are read)."""
    unopened: Any = None  # connections are opened by serving, which never happens
    # An engine connects on first use only: building the app opens nothing.
    database = Database(create_engine(env["DATABASE_URL"]))
    with mock.patch.dict(os.environ, env):
        if service == "identity":
            settings = IdentitySettings()
            resources = ServiceResources(database=database, bus=unopened)
            return identity_app(IdentityContext(settings, resources, hasher=unopened))
        if service == "registry":
            resources = ServiceResources(database=database, bus=unopened)
            return registry_app(RegistryContext(RegistrySettings(), resources))
        context = NotifierContext(
            NotifierSettings(), unopened, unopened, unopened, unopened, unopened
        )
        return notifier_app(context)


def state_changing_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in sorted((route.methods or set()) & UNSAFE)
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def snapshot(database_url: str) -> dict[str, str]:
    """Every table's rows (less background-worker columns), as one digest per table."""
    ignored = "".join(f" - '{column}'" for column in BACKGROUND_COLUMNS)
    digests = {}
    with psycopg.connect(database_url, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (table,) in tables:
            if table in BACKGROUND_TABLES:
                continue
            row = connection.execute(
                f"SELECT count(*), md5(coalesce(string_agg(r, ',' ORDER BY r), '')) FROM "
                f'(SELECT (to_jsonb(t){ignored})::text AS r FROM "{table}" t) rows'
            ).fetchone()
            digests[table] = f"{row[0]}:{row[1]}" if row else ""
    return digests


@pytest.fixture(scope="module")
def victim(stack: Stack) -> Iterator[Browser]:
    """A user signed in to identity (at multi-factor level) and to the registry."""
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        browser = registry_browser(stack, mailbox)
    browser.get(f"{stack.identity_url}/account")  # a page: the CSRF cookie is set
    yield browser
    browser.close()


def _cookies(browser: Browser) -> str:
    # Identity and registry share the host (ports do not separate cookies): a browser sends
    # every cookie of 127.0.0.1 to both.
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.jar)


def _csrf(browser: Browser) -> str:
    return browser.cookie("__Host-gatehouse_csrf") or ""


def _attacks(stack: Stack, url: str) -> list[dict[str, str]]:
    other_port = 1 + int(url.rsplit(":", 1)[1])  # another port on the same host: same site
    return [
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://evil.example"},  # a browser that sends no Sec-Fetch-* headers
        {"Origin": f"http://127.0.0.1:{other_port}", "Sec-Fetch-Site": "same-site"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # sandboxed frame, data: URL
        {"Origin": "null"},  # the same, from a browser without Fetch Metadata
        {"Sec-Fetch-Site": "same-site"},
    ]


def test_every_state_changing_route_refuses_cross_origin_form_posts(
    stack: Stack, victim: Browser
) -> None:
    urls = {
        "identity": stack.identity_url,
        "registry": stack.registry_url,
        "notifier": stack.notifier_url,
    }
    apps = {service: build_app(service, stack.env_for(service)) for service in SERVICES}
    before = {service: snapshot(stack.database_urls[service]) for service in SERVICES}
    checked = []
    with httpx.Client(timeout=30) as attacker:
        for service, app in apps.items():
            exempt = exempt_routes(app)
            for method, path in state_changing_routes(app):
                if path in exempt:
                    continue
                for headers in _attacks(stack, urls[service]):
                    answer = attacker.request(
                        method,
                        urls[service] + _concrete(path),
                        content=f"csrf_token={_csrf(victim)}&name=x&reason=x&code=123456",
                        headers={
                            **headers,
                            "Cookie": _cookies(victim),
                            "Content-Type": "application/x-www-form-urlencoded",
                        },
                    )
                    assert answer.status_code == 403, (service, method, path, headers, answer.text)
                checked.append(f"{service} {method} {path}")
    after = {service: snapshot(stack.database_urls[service]) for service in SERVICES}
    assert len(checked) > 60, checked  # identity and registry have dozens of such routes
    for service in SERVICES:
        changed = {t for t in before[service] if before[service][t] != after[service].get(t)}
        assert not changed, f"{service} tables changed by refused requests: {changed}"
    # The victim is still signed in everywhere (sign out everywhere did not happen).
    assert victim.get(f"{stack.identity_url}/api/v1/me").status_code == 200
    assert victim.get(f"{stack.registry_url}/api/v1/me").status_code == 200


def test_exemptions_are_real_routes_with_a_reason(stack: Stack) -> None:
    for service in SERVICES:
        app = build_app(service, stack.env_for(service))
        routes = {path for _, path in state_changing_routes(app)}
        for path, reason in exempt_routes(app).items():
            assert path in routes, f"{service} exempts {path}, which takes no state-changing call"
            assert len(reason) > 20, f"{service} exempts {path} without saying why"
    identity_exempt = exempt_routes(build_app("identity", stack.env_for("identity")))
    assert "/oidc/token" in identity_exempt
    assert "/api/v1/me/recovery-codes" not in identity_exempt


def test_own_origin_passes_and_json_endpoints_take_only_json(
    stack: Stack, mailbox: MailboxClient
) -> None:
    victim = Browser()
    sign_in(stack, victim, new_account(stack, mailbox))
    own = {"Origin": stack.identity_url, "Sec-Fetch-Site": "same-origin"}
    as_form = victim.post(
        f"{stack.identity_url}/api/v1/me/recovery-codes",
        content="x=1",
        headers={**own, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert as_form.status_code == 415, as_form.text
    as_text = victim.post(
        f"{stack.identity_url}/api/v1/me/sessions/sign-out-everywhere",
        content="{}",
        headers={**own, "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 415, as_text.text
    assert victim.get(f"{stack.identity_url}/api/v1/me").status_code == 200
    # The same request from the service's own page, as JSON, does what it says.
    signed_out = victim.post(
        f"{stack.identity_url}/api/v1/me/sessions/sign-out-everywhere", json={}, headers=own
    )
    assert signed_out.status_code in (200, 204), signed_out.text
    assert victim.get(f"{stack.identity_url}/api/v1/me").status_code == 401
    victim.close()
