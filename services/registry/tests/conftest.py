"""Fixtures for the registry's tests, against a real PostgreSQL (and NATS where events flow).

PostgreSQL: with DATABASE_URL set (a server URL such as postgresql://postgres@127.0.0.1:5432/test)
a database with a random name is created on that server and dropped afterwards; otherwise the dev
stack's embedded PostgreSQL is started in a temporary directory. NATS likewise: NATS_URL, or the
embedded nats-server.

Most tests use `db`: a stand-in for the pool that lends one connection inside a transaction that
is rolled back after the test (the services' own transactions become savepoints), so tests do
not see each other's data. Tests that need real concurrency or a second process use `pool`.
Both come from gatehouse_devstack.pytest_plugin (its `rolled_back_database` and `database`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import HTTPException, Request
from sqlalchemy import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.resources import ServiceResources
from gatehouse_devstack.pytest_plugin import RolledBackDatabase
from gatehouse_registry.app import create_app
from gatehouse_registry.auth.dependencies import RegistryUser, current_user
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.identifiers import IdentifierType
from gatehouse_registry.operators.models import (
    ContactKind,
    CreatedOperator,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
)
from gatehouse_registry.roles.administration import add_administrator
from gatehouse_registry.roles.models import Application
from gatehouse_registry.settings import RegistrySettings
from gatehouse_registry.users.service import record_sign_in
from gatehouse_registry.web_services.identity import IssuedClient, identity_clients

SJV_IEK = "SE-SJV-IEK"  # Jordbruksverket, Import- och exportkontrollenheten
SJV_IEK_ID = uuid.UUID("6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01")
SEGOT_ID = uuid.UUID("6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a11")


@pytest.fixture(scope="session")
def alembic_package() -> str:
    return "gatehouse_registry"


@pytest.fixture
def database_url(migrated_database_url: str) -> str:
    return migrated_database_url


class RawChecks(Database):
    """Plain SQL with asyncpg's $1, $2… parameters, for the tests' own looks at rows (the
    services take the Database itself): values, rows as mappings (`row["name"]`, `dict(row)`),
    on the same connections the Database lends; what PostgreSQL refuses raises asyncpg's error."""

    async def _run(self, query: str, args: tuple[Any, ...]) -> CursorResult[Any]:
        try:
            async with self.connection() as connection:
                return await connection.exec_driver_sql(query, args)
        except DBAPIError as error:
            # What PostgreSQL refused, as asyncpg raises it (the tests expect its error classes).
            refused = error.orig.__cause__ if error.orig is not None else None
            if isinstance(refused, asyncpg.PostgresError):
                raise refused from error
            raise

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        return list((await self._run(query, args)).mappings().all())

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return (await self._run(query, args)).mappings().first()

    async def fetchval(self, query: str, *args: Any) -> Any:
        return (await self._run(query, args)).scalar()

    async def execute(self, query: str, *args: Any) -> None:
        await self._run(query, args)


class CheckedDatabase(RawChecks, RolledBackDatabase):
    """The test's one connection, in a transaction rolled back after the test."""


class CheckedPool(RawChecks, Database):
    """The session's real database (a pool), for concurrency and commits other connections see."""


@pytest.fixture
def pool(database: Database) -> CheckedPool:
    """The real database: tests that use it clean up after themselves."""
    return CheckedPool(database.engine)


@pytest.fixture
def db(db_connection: AsyncConnection) -> CheckedDatabase:
    """The registry's database as the services take it, served by the test's one connection,
    whose transaction is rolled back after the test (see gatehouse_devstack.pytest_plugin)."""
    return CheckedDatabase(db_connection)


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def new_orgnr() -> str:
    """A fresh, valid Swedish organisation number (Luhn check digit), e.g. 556123-4567."""
    body = "556" + "".join(random.choice("0123456789") for _ in range(6))
    number = body + luhn_check_digit(body)
    return f"{number[:6]}-{number[6:]}"


class FakeIdentity:
    """identity's ClientService as the registry sees it (the real one: tests/
    test_machine_access.py)."""

    async def create(self, *, jwks_json: str, **_fields: Any) -> IssuedClient:
        if jwks_json:
            return IssuedClient(auth_method="private_key_jwt", client_secret=None)
        return IssuedClient(auth_method="client_secret_basic", client_secret="s" * 43)

    async def replace_keys(self, *, jwks_json: str, **_fields: Any) -> str | None:
        return None if jwks_json else "n" * 43

    async def delete(self, **_fields: Any) -> None:
        return None


FAKE_IDENTITY = FakeIdentity()


@pytest.fixture
def fake_identity() -> FakeIdentity:
    """identity's ClientService for the pages' tests (web/conftest.py)."""
    return FAKE_IDENTITY


@pytest.fixture
def open_client(rolled_back_database: Database) -> Callable[[dict[str, RegistryUser]], Any]:
    """An HTTP client for the registry app whose `current_user` is the user named in the
    `x-test-actor` header (401 without one). Sign-in itself is tested by the OIDC code."""
    import httpx  # noqa: PLC0415

    @asynccontextmanager
    async def open_(
        users: dict[str, RegistryUser], overrides: dict[Any, Any] | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = RegistrySettings(gatehouse_environment="test")
        bus = EventBus(url="nats://127.0.0.1:1", stream="unused", subject_prefix="t", name="t")
        resources = ServiceResources(database=rolled_back_database, bus=bus)
        context = RegistryContext(settings=settings, resources=resources)
        app = create_app(context)

        async def test_user(request: Request) -> RegistryUser:
            name = request.headers.get("x-test-actor", "anonymous")
            if name not in users:
                raise HTTPException(status_code=401, detail="sign in first")
            return users[name]

        app.dependency_overrides[current_user] = test_user
        app.dependency_overrides[identity_clients] = lambda: FAKE_IDENTITY
        app.dependency_overrides.update(overrides or {})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as c:
            yield c

    return open_


@pytest.fixture
def make_user(db: Any) -> Callable[..., Awaitable[RegistryUser]]:
    async def make(name: str = "Anna Andersson", *, level: str = "multi_factor") -> RegistryUser:
        user = RegistryUser(
            user_id=uuid.uuid4(),
            full_name=name,
            email=f"{name.split(maxsplit=1)[0].lower()}.{uuid.uuid4().hex[:8]}@example.se",
            level=level,
            amr=["pwd", "otp"],
        )
        await record_sign_in(
            db,
            user_id=user.user_id,
            full_name=user.full_name,
            email=user.email,
            signed_in_at=datetime.now(UTC),
        )
        return user

    return make


@pytest.fixture
def make_admin_of(
    db: Any, make_user: Callable[..., Awaitable[RegistryUser]]
) -> Callable[..., Awaitable[RegistryUser]]:
    """A user made administrator of an authority (or any organization) by the admin command."""

    async def make(code: str, name: str = "Karin Kontroll") -> RegistryUser:
        user = await make_user(name)
        await add_administrator(
            db,
            organization_code=code,
            user_id=user.user_id,
            full_name=user.full_name,
            email=user.email,
        )
        return user

    return make


def operator_input(
    *,
    name: str = "Frukt & Grönt i Göteborg AB",
    city: str = "Göteborg",
    orgnr: str | None = None,
    authority_id: uuid.UUID = SJV_IEK_ID,
    section: str = "EUPO",
    activity_type: str = "EUPO",
    valid_from: date = date(2025, 1, 1),
    valid_to: date | None = None,
) -> dict[str, Any]:
    orgnr = orgnr or new_orgnr()
    return {
        "name": name,
        "addresses": [
            NewAddress(
                street="Hamngatan 1",
                postal_code="411 06",
                city=city,
                country_code="SE",
                is_main=True,
            )
        ],
        "contacts": [
            NewContact(kind=ContactKind.PHONE, value="+46 31 123456"),
            NewContact(kind=ContactKind.EMAIL, value="info@example.se"),
        ],
        "identifiers": [
            NewIdentifier(type=IdentifierType.NATIONAL_REGISTRATION_NUMBER, value=orgnr)
        ],
        "activity": NewActivity(
            chapter_code="plant_health",
            section_code=section,
            activity_type_code=activity_type,
            identification_code=orgnr.replace("-", ""),
            valid_from=valid_from,
            valid_to=valid_to,
            competent_authority_id=authority_id,
            address=0,
        ),
        "application": Application(message="Vi importerar frukt", phone="+46 31 123456"),
    }


@pytest.fixture
def create_operator(db: Any) -> Callable[..., Awaitable[CreatedOperator]]:
    async def create(actor: RegistryUser, **overrides: Any) -> CreatedOperator:
        return await operators.create_operator(db, actor=actor, **operator_input(**overrides))

    return create
