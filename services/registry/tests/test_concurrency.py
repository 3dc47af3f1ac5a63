"""Decisions racing each other on a real pool: the organization's row lock serialises them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import asyncpg

from gatehouse_registry.auth.dependencies import RegistryUser
from gatehouse_registry.errors import PermissionDeniedError
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.identifiers import IdentifierType
from gatehouse_registry.operators.models import (
    ContactKind,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
)
from gatehouse_registry.reference_data.admin import (
    AuthorityIn,
    ReferenceData,
    load_reference_data,
)
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.administration import add_administrator
from gatehouse_registry.roles.errors import LastAdministratorError
from gatehouse_registry.roles.models import Application
from gatehouse_registry.users.service import record_sign_in

from .conftest import new_orgnr


async def _user(pool: asyncpg.Pool, name: str) -> RegistryUser:
    user = RegistryUser(
        user_id=uuid.uuid4(),
        full_name=name,
        email=f"{uuid.uuid4().hex[:8]}@example.se",
        level="multi_factor",
    )
    await record_sign_in(
        pool,
        user_id=user.user_id,
        full_name=name,
        email=user.email,
        signed_in_at=datetime.now(UTC),
    )
    return user


async def test_two_administrators_removing_each_other_leave_one(pool: asyncpg.Pool) -> None:
    # A committed world of its own (an authority only this test uses), in Finland so it stays
    # out of the other tests' Swedish searches.
    code = f"FI-TEST-{uuid.uuid4().hex[:8]}"
    await load_reference_data(
        pool,
        ReferenceData(
            authorities=[
                AuthorityIn(
                    code=code,
                    name="Testvirasto",
                    country_code="FI",
                    authority_kind="central",
                    chapters=["plant_health"],
                )
            ]
        ),
    )
    authority = await _user(pool, "Aino Viranomainen")
    await add_administrator(
        pool,
        organization_code=code,
        user_id=authority.user_id,
        full_name=authority.full_name,
        email=authority.email,
    )
    authority_id = await pool.fetchval("SELECT id FROM organizations WHERE code = $1", code)
    first, second = await _user(pool, "Eka Ylläpitäjä"), await _user(pool, "Toka Ylläpitäjä")
    created = await operators.create_operator(
        pool,
        actor=first,
        name=f"Kilpailu Oy {uuid.uuid4().hex[:6]}",
        addresses=[NewAddress("Satamakatu 1", "00160", "Helsinki", "FI", is_main=True)],
        contacts=[
            NewContact(ContactKind.PHONE, "+358 9 123456"),
            NewContact(ContactKind.EMAIL, "info@example.fi"),
        ],
        identifiers=[NewIdentifier(IdentifierType.VAT, "SE" + new_orgnr().replace("-", "") + "01")],
        activity=NewActivity(
            section_code="EUPO",
            activity_type_code="EUPO",
            identification_code="FI-1",
            valid_from=date(2025, 1, 1),
            competent_authority_id=authority_id,
            address=0,
        ),
        application=Application(),
    )
    operator_id = created.operator.id
    await operator_decisions.validate_operator(pool, actor=authority, operator_id=operator_id)
    await decisions.approve_role_request(
        pool, actor=authority, role_request_id=created.role_request_id
    )
    joined = await roles.request_role(
        pool, actor=second, organization_id=operator_id, application=Application()
    )
    await decisions.approve_role_request(pool, actor=first, role_request_id=joined.id)
    await decisions.grant_admin(pool, actor=first, role_request_id=joined.id)

    outcomes = await asyncio.gather(
        decisions.remove_admin(pool, actor=first, role_request_id=joined.id),
        decisions.remove_admin(pool, actor=second, role_request_id=created.role_request_id),
        return_exceptions=True,
    )
    succeeded = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(succeeded) == 1, outcomes
    # The loser either lost its own rights first or met the last-administrator rule.
    assert isinstance(refused[0], LastAdministratorError | PermissionDeniedError), refused
    admins = await pool.fetchval(
        "SELECT count(*) FROM roles WHERE organization_id = $1 AND is_admin", operator_id
    )
    assert admins == 1
