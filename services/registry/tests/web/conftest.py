"""Fixtures for the registry's pages: an HTTP client on the real app and database whose signed-in
user is the one named in the `x-test-actor` header (sign-in itself is the OIDC code's business),
speaking the language of `Accept-Language`, with the CSRF cookie the pages set."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import HTTPException, Request
from stdnum import luhn

from gatehouse_common.db import Database
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.resources import ServiceResources
from gatehouse_common.web_security import CSRF_COOKIE, CSRF_FIELD
from gatehouse_registry.app import create_app
from gatehouse_registry.auth.dependencies import RegistryUser, current_user, optional_user
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application
from gatehouse_registry.settings import RegistrySettings
from gatehouse_registry.web.i18n import CATALOGS
from gatehouse_registry.web_services.identity import identity_clients

IDENTITY_URL = "https://login.example.test"
# Reference data of migration 0004: Jordbruksverket's import control and a border post it runs.
SJV_IEK = "SE-SJV-IEK"
SEGOT = "SEGOT"


async def organization_id(db: Any, code: str) -> uuid.UUID:
    found: uuid.UUID = await db.fetchval("SELECT id FROM organizations WHERE code = $1", code)
    return found


def fresh_orgnr() -> str:
    """A Swedish organisation number nobody has registered yet (valid Luhn check digit)."""
    body = "556" + "".join(secrets.choice("0123456789") for _ in range(6))
    number = body + luhn.calc_check_digit(body)
    return f"{number[:6]}-{number[6:]}"


class Visible(HTMLParser):
    """The text a person sees on a page and a screen reader reads (labels, alt and aria texts,
    button values, options), and the page's forms with their fields."""

    SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.SKIP:
            self.skipping += 1
        for name in ("aria-label", "alt", "title", "placeholder"):
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "form":
            self.forms.append({"attrs": values, "fields": []})
        if tag in {"input", "select", "textarea", "button"} and self.forms:
            self.forms[-1]["fields"].append((tag, values))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.parts.append(data.strip())

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def parse(html: str) -> Visible:
    parser = Visible()
    parser.feed(html)
    return parser


@dataclass
class Visitor:
    """One person in one browser: their cookies (CSRF, language) and their language."""

    http: httpx.AsyncClient
    actor: str
    language: str = "sv"
    last: httpx.Response | None = field(default=None, repr=False)

    def headers(self) -> dict[str, str]:
        return {
            "x-test-actor": self.actor,
            "accept-language": self.language,
            "accept": "text/html,application/xhtml+xml",
        }

    async def get(self, path: str, **params: Any) -> httpx.Response:
        self.last = await self.http.get(path, params=params or None, headers=self.headers())
        return self.last

    async def post(
        self, path: str, data: Iterable[tuple[str, str]] | dict[str, str], *, csrf: bool = True
    ) -> httpx.Response:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            token = self.http.cookies.get(CSRF_COOKIE)
            assert token, "open a page first: it sets the CSRF cookie"
            items.append((CSRF_FIELD, token))
        self.last = await self.http.post(
            path,
            content=urlencode(items),
            headers={**self.headers(), "content-type": "application/x-www-form-urlencoded"},
        )
        return self.last

    def text(self, key: str, **values: object) -> str:
        return CATALOGS.translator(self.language)(key, **values)


@pytest.fixture
def open_pages(rolled_back_database: Database, fake_identity: Any) -> Callable[..., Any]:
    """`async with open_pages(users) as visit:` → `visit("anna", "sv")` is a Visitor."""

    @asynccontextmanager
    async def open_(
        users: dict[str, RegistryUser],
    ) -> AsyncIterator[Callable[[str, str], Visitor]]:
        settings = RegistrySettings(
            gatehouse_environment="test",
            identity_public_url=IDENTITY_URL,
            public_url="https://registry.test",
        )
        bus = EventBus(url="nats://127.0.0.1:1", stream="unused", subject_prefix="t", name="t")
        resources = ServiceResources(database=rolled_back_database, bus=bus)
        context = RegistryContext(settings=settings, resources=resources)
        app = create_app(context)

        async def test_optional_user(request: Request) -> RegistryUser | None:
            return users.get(request.headers.get("x-test-actor", ""))

        async def test_user(request: Request) -> RegistryUser:
            user = await test_optional_user(request)
            if user is None:
                raise HTTPException(status_code=401, detail="sign in first")
            return user

        app.dependency_overrides[current_user] = test_user
        app.dependency_overrides[optional_user] = test_optional_user
        app.dependency_overrides[identity_clients] = lambda: fake_identity
        transport = httpx.ASGITransport(app=app)
        clients: list[httpx.AsyncClient] = []

        def visit(actor: str, language: str = "sv") -> Visitor:
            client = httpx.AsyncClient(transport=transport, base_url="https://registry.test")
            clients.append(client)
            return Visitor(client, actor, language)

        try:
            yield visit
        finally:
            for client in clients:
                await client.aclose()

    return open_


@dataclass
class World:
    users: dict[str, RegistryUser]
    operator: uuid.UUID  # Anna's, valid; Bertil has applied to it
    other_operator: uuid.UUID  # someone else's, valid
    bertil_request: uuid.UUID


@pytest.fixture
async def world(db: Any, make_user: Any, make_admin_of: Any, create_operator: Any) -> World:
    authority = await make_admin_of(SJV_IEK, "Ingrid Importkontroll")
    border_post = await make_admin_of("SEGOT", "Gustav Gränskontroll")
    anna, olle = await make_user("Anna Admin"), await make_user("Olle Annan")
    mine = await create_operator(anna, name="Äppelgården Import AB")
    theirs = await create_operator(olle, name="Päronlunden AB")
    for created in (mine, theirs):
        await operator_decisions.validate_operator(
            db, actor=authority, operator_id=created.operator.id
        )
        await decisions.approve_role_request(
            db, actor=authority, role_request_id=created.role_request_id
        )
    bertil = await make_user("Bertil Kollega")
    request = await roles.request_role(
        db,
        actor=bertil,
        organization_id=mine.operator.id,
        application=Application(message="Jag jobbar här"),
    )
    return World(
        users={
            "anna": anna,
            "olle": olle,
            "bertil": bertil,
            "authority": authority,
            "border_post": border_post,
            "nobody": await make_user("Nils Ingenroll"),
        },
        operator=mine.operator.id,
        other_operator=theirs.operator.id,
        bertil_request=request.id,
    )


@pytest.fixture
async def visit(open_pages: Any, world: World) -> AsyncIterator[Callable[..., Visitor]]:
    async with open_pages(world.users) as opened:
        yield opened


def hidden_fields(html: str, form_id: str) -> list[tuple[str, str]]:
    """The hidden inputs of the form with that id (to post the next step as a browser would)."""
    for form in parse(html).forms:
        if form["attrs"].get("id") == form_id:
            return [
                (str(attrs["name"]), str(attrs.get("value") or ""))
                for tag, attrs in form["fields"]
                if tag == "input"
                and attrs.get("type") == "hidden"
                and attrs.get("name")
                and attrs["name"] != CSRF_FIELD
            ]
    raise AssertionError(f"no form #{form_id}")


def field_error(html: str, name: str) -> str | None:
    """The error shown beside field `name` (its `<p id="name-error">`), or None."""
    found = re.search(rf'<p class="error" id="{re.escape(name)}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


def input_value(html: str, name: str) -> str | None:
    found = re.search(
        rf'<input id="{re.escape(name)}" name="{re.escape(name)}"[^>]*value="([^"]*)"', html
    )
    return found.group(1) if found else None


def new_id() -> uuid.UUID:
    return uuid.uuid4()
