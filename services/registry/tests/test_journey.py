"""The manual's whole path through the registry's domain, and the rules along it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gatehouse_common.db import Database
from gatehouse_registry.access import RoleKind
from gatehouse_registry.auth.dependencies import RegistryUser
from gatehouse_registry.errors import (
    AlreadyDecidedError,
    InactiveUserError,
    InvalidInputError,
    MultiFactorRequiredError,
    OrganizationNotValidError,
    PermissionDeniedError,
    SelfDecisionError,
)
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.errors import DuplicateIdentifierError
from gatehouse_registry.operators.models import OrganizationStatus
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.errors import DuplicateRequestError, LastAdministratorError
from gatehouse_registry.roles.models import Application, RoleStatus
from gatehouse_registry.search import service as search
from gatehouse_registry.users import inactivity

from .conftest import SEGOT_ID, SJV_IEK

MakeUser = Callable[..., Awaitable[RegistryUser]]


async def events_of(db: Any, subject: uuid.UUID | str) -> list[str]:
    rows = await db.fetch(
        "SELECT event_type FROM outbox_events WHERE subject = $1 ORDER BY created_at, id",
        str(subject),
    )
    return [row["event_type"] for row in rows]


async def test_the_manuals_path(
    db: Any,
    rolled_back_database: Database,
    make_user: MakeUser,
    make_admin_of: MakeUser,
    create_operator: Any,
) -> None:
    authority = await make_admin_of(SJV_IEK, "Ingrid Importkontroll")
    border_post = await make_admin_of("SEGOT", "Gustav Gränskontroll")
    anna = await make_user("Anna Importör")

    # Search → not found.
    found = await search.search_operators(
        rolled_back_database, actor=anna, country_code="SE", text="Äppelgården"
    )
    assert found.items == ()

    # Create a new operator; the creator's application is sent with it.
    created = await create_operator(anna, name="Äppelgården Import AB", city="Malmö")
    operator = created.operator
    assert operator.status is OrganizationStatus.PENDING
    assert operator.activities[0].activity_type_code == "EUPO"
    assert await events_of(db, operator.id) == ["registry.operator.created"]
    assert await events_of(db, created.role_request_id) == ["registry.role_request.created"]

    # The user cannot be approved before the operator is valid.
    with pytest.raises(OrganizationNotValidError):
        await decisions.approve_role_request(
            db, actor=authority, role_request_id=created.role_request_id
        )

    # The competent authority validates the operator (and its first activity), then the user.
    validated = await operator_decisions.validate_operator(
        db, actor=authority, operator_id=operator.id
    )
    assert validated.status is OrganizationStatus.VALID
    assert validated.activities[0].status is OrganizationStatus.VALID
    first = await decisions.approve_role_request(
        db, actor=authority, role_request_id=created.role_request_id
    )
    assert first.status is RoleStatus.APPROVED
    assert first.is_admin, "the first approved user becomes the administrator"

    # A colleague finds the operator (without diacritics) and asks for access.
    bertil = await make_user("Bertil Kollega")
    hits = await search.search_operators(
        rolled_back_database,
        actor=bertil,
        country_code="SE",
        section_code="EUPO",
        text="appelgarden",
    )
    assert [hit.id for hit in hits.items] == [operator.id]
    assert hits.items[0].activities[0].activity_type_code == "EUPO"
    request = await roles.request_role(
        db,
        actor=bertil,
        organization_id=operator.id,
        application=Application(message="Jag jobbar här", email="bertil@example.se"),
    )
    # The administrator finds it under "Search pending applications" and approves it.
    pending = await roles.list_decidable_requests(db, actor=anna)
    assert [r.id for r in pending] == [request.id]
    approved = await decisions.approve_role_request(db, actor=anna, role_request_id=request.id)
    assert approved.status is RoleStatus.APPROVED
    assert not approved.is_admin
    with pytest.raises(AlreadyDecidedError):  # an approval cannot be un-ticked or repeated
        await decisions.approve_role_request(db, actor=anna, role_request_id=request.id)

    # The administrator makes the colleague an administrator too.
    promoted = await decisions.grant_admin(db, actor=anna, role_request_id=request.id)
    assert promoted.is_admin

    # Responsible for the load, naming the border control post in Göteborg, approved by it.
    rfl = await roles.request_role(
        db,
        actor=anna,
        organization_id=operator.id,
        kind=RoleKind.RESPONSIBLE_FOR_LOAD,
        application=Application(),
        responsible_authority_ids=[SEGOT_ID],
    )
    with pytest.raises(PermissionDeniedError):  # the operator's own admins do not decide RFL
        await decisions.approve_role_request(db, actor=bertil, role_request_id=rfl.id)
    assert [r.id for r in await roles.list_decidable_requests(db, actor=border_post)] == [rfl.id]
    rfl_approved = await decisions.approve_role_request(
        db, actor=border_post, role_request_id=rfl.id
    )
    assert rfl_approved.status is RoleStatus.APPROVED
    assert not rfl_approved.is_admin

    assert await events_of(db, request.id) == [
        "registry.role_request.created",
        "registry.role_request.approved",
        "registry.admin.granted",
    ]
    assert await events_of(db, operator.id) == [
        "registry.operator.created",
        "registry.operator.validated",
    ]
    actions = [
        row["action"]
        for row in await db.fetch(
            "SELECT action FROM audit_log WHERE organization_id = $1 ORDER BY id", operator.id
        )
    ]
    assert actions == [
        "operator.created",
        "role_request.created",
        "operator.validated",
        "role_request.approved",
        "admin.granted",
        "role_request.created",
        "role_request.approved",
        "admin.granted",
        "role_request.created",
        "role_request.approved",
    ]


@pytest.fixture
async def valid_operator(
    db: Any, make_user: MakeUser, make_admin_of: MakeUser, create_operator: Any
) -> dict[str, Any]:
    """A valid operator whose first user (its administrator) is approved."""
    authority = await make_admin_of(SJV_IEK)
    admin = await make_user("Anna Admin")
    created = await create_operator(admin)
    await operator_decisions.validate_operator(db, actor=authority, operator_id=created.operator.id)
    await decisions.approve_role_request(
        db, actor=authority, role_request_id=created.role_request_id
    )
    return {
        "authority": authority,
        "admin": admin,
        "operator": created.operator,
        "admin_role": created.role_request_id,
    }


async def _colleague(db: Any, make_user: MakeUser, operator_id: uuid.UUID, name: str) -> Any:
    user = await make_user(name)
    request = await roles.request_role(
        db, actor=user, organization_id=operator_id, application=Application()
    )
    return user, request


async def test_the_last_administrator_cannot_lose_the_rights(
    db: Any, make_user: MakeUser, valid_operator: dict[str, Any]
) -> None:
    admin, operator = valid_operator["admin"], valid_operator["operator"]
    with pytest.raises(LastAdministratorError):
        await decisions.remove_admin(db, actor=admin, role_request_id=valid_operator["admin_role"])
    colleague, request = await _colleague(db, make_user, operator.id, "Cecilia Kollega")
    await decisions.approve_role_request(db, actor=admin, role_request_id=request.id)
    await decisions.grant_admin(db, actor=admin, role_request_id=request.id)
    # With two administrators one may step down; then the other is the last one again.
    await decisions.remove_admin(db, actor=admin, role_request_id=valid_operator["admin_role"])
    with pytest.raises(LastAdministratorError):
        await decisions.remove_admin(db, actor=colleague, role_request_id=request.id)
    with pytest.raises(SelfDecisionError):
        await decisions.revoke_role(db, actor=colleague, role_request_id=request.id, reason="bye")


async def test_nobody_approves_themselves(
    db: Any, make_user: MakeUser, valid_operator: dict[str, Any]
) -> None:
    admin = valid_operator["admin"]
    other = await make_user("Olle Annanstans")
    # The administrator asks again for a role they cannot hold twice...
    with pytest.raises(DuplicateRequestError):
        await roles.request_role(
            db,
            actor=admin,
            organization_id=valid_operator["operator"].id,
            application=Application(),
        )
    # ...and cannot approve their own responsible-for-the-load request either.
    rfl = await roles.request_role(
        db,
        actor=admin,
        organization_id=valid_operator["operator"].id,
        kind=RoleKind.RESPONSIBLE_FOR_LOAD,
        application=Application(),
        responsible_authority_ids=[SEGOT_ID],
    )
    with pytest.raises(SelfDecisionError):
        await decisions.approve_role_request(db, actor=admin, role_request_id=rfl.id)
    with pytest.raises(PermissionDeniedError):
        await decisions.approve_role_request(db, actor=other, role_request_id=rfl.id)


async def test_duplicate_identifiers_point_to_the_existing_operator(
    db: Any, make_user: MakeUser, create_operator: Any
) -> None:
    first = await create_operator(await make_user("Första"), orgnr="556036-0793")
    with pytest.raises(DuplicateIdentifierError) as refused:
        # The same number typed differently is the same number.
        await create_operator(await make_user("Andra"), name="Kopian AB", orgnr="5560360793")
    assert refused.value.field == "identifiers[0].value"
    assert refused.value.params["existing_operator_id"] == str(first.operator.id)
    assert await db.fetchval("SELECT count(*) FROM organizations WHERE name = 'Kopian AB'") == 0


async def test_a_rejected_operator_frees_its_identifiers_and_rejects_its_requests(
    db: Any, make_user: MakeUser, make_admin_of: MakeUser, create_operator: Any
) -> None:
    authority = await make_admin_of(SJV_IEK)
    created = await create_operator(await make_user("Fel Felsson"), orgnr="556036-0793")
    rejected = await operator_decisions.reject_operator(
        db, actor=authority, operator_id=created.operator.id, reason="wrong address"
    )
    assert rejected.status is OrganizationStatus.REJECTED
    role = await db.fetchval("SELECT status FROM roles WHERE id = $1", created.role_request_id)
    assert role == "rejected"
    again = await create_operator(await make_user("Rätt Rättsson"), orgnr="556036-0793")
    assert again.operator.status is OrganizationStatus.PENDING


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"orgnr": "556036-0794"}, "identifiers[0].value"),  # wrong Luhn check digit
        ({"section": "NOPE"}, "activity.section_code"),
        ({"activity_type": "ORGANIC IMPORTER"}, "activity.activity_type_code"),
        ({"authority_id": SEGOT_ID}, "activity.competent_authority_id"),  # a post, not a CA
        ({"authority_id": uuid.uuid4()}, "activity.competent_authority_id"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    db: Any, make_user: MakeUser, create_operator: Any, overrides: dict[str, Any], field: str
) -> None:
    user = await make_user("Bo Felskrivare")
    before = await db.fetchval("SELECT count(*) FROM organizations")
    with pytest.raises(InvalidInputError) as refused:
        await create_operator(user, **overrides)
    assert refused.value.field == field
    assert await db.fetchval("SELECT count(*) FROM organizations") == before
    assert await db.fetchval("SELECT count(*) FROM outbox_events WHERE subject = $1", "x") == 0


async def test_valid_to_before_valid_from_is_refused(
    db: Any, make_user: MakeUser, create_operator: Any
) -> None:
    from datetime import date  # noqa: PLC0415

    with pytest.raises(InvalidInputError) as refused:
        await create_operator(
            await make_user("Datum Dansson"),
            valid_from=date(2025, 6, 1),
            valid_to=date(2025, 5, 31),
        )
    assert refused.value.field == "activity.valid_to"


async def test_single_factor_sessions_are_refused(
    rolled_back_database: Database, make_user: MakeUser
) -> None:
    weak = await make_user("Svag Inloggning", level="password")
    with pytest.raises(MultiFactorRequiredError):
        await search.search_operators(rolled_back_database, actor=weak, country_code="SE")


async def test_a_rejected_request_can_be_asked_again(
    db: Any, make_user: MakeUser, valid_operator: dict[str, Any]
) -> None:
    admin, operator = valid_operator["admin"], valid_operator["operator"]
    user, request = await _colleague(db, make_user, operator.id, "Doris Kanske")
    rejected = await decisions.reject_role_request(
        db, actor=admin, role_request_id=request.id, reason="okänd person"
    )
    assert rejected.status is RoleStatus.REJECTED
    again = await roles.request_role(
        db, actor=user, organization_id=operator.id, application=Application()
    )
    assert again.status is RoleStatus.PENDING


async def test_revoke_is_separate_and_audited(
    db: Any, make_user: MakeUser, valid_operator: dict[str, Any]
) -> None:
    admin, operator = valid_operator["admin"], valid_operator["operator"]
    user, request = await _colleague(db, make_user, operator.id, "Erik Slutar")
    await decisions.approve_role_request(db, actor=admin, role_request_id=request.id)
    revoked = await decisions.revoke_role(
        db, actor=admin, role_request_id=request.id, reason="slutat"
    )
    assert revoked.status is RoleStatus.REVOKED
    with pytest.raises(PermissionDeniedError):  # the revoked user no longer sees the operator
        await operators.get_operator(db, actor=user, operator_id=operator.id)
    reason = await db.fetchval(
        "SELECT reason FROM audit_log WHERE action = 'role.revoked' AND subject_id = $1",
        request.id,
    )
    assert reason == "slutat"
    with pytest.raises(Exception, match="append-only"):
        await db.execute("UPDATE audit_log SET reason = 'x' WHERE subject_id = $1", request.id)


async def test_inactive_users_roles_do_not_work_until_reactivated(
    db: Any, make_user: MakeUser, valid_operator: dict[str, Any]
) -> None:
    from gatehouse_registry.users import service as users  # noqa: PLC0415

    admin, operator = valid_operator["admin"], valid_operator["operator"]
    user, request = await _colleague(db, make_user, operator.id, "Frida Frånvarande")
    await decisions.approve_role_request(db, actor=admin, role_request_id=request.id)
    await db.execute(
        "UPDATE users SET last_seen_at = now() - interval '4 months 1 day' WHERE id = $1",
        user.user_id,
    )
    outcome = await inactivity.run_inactivity_check(db, inactive_after_months=4, warning_days=14)
    assert outcome.inactivated >= 1
    with pytest.raises(InactiveUserError):
        await operators.get_operator(db, actor=user, operator_id=operator.id)
    await users.request_reactivation(db, actor=user, message="Jag är tillbaka")
    waiting = await users.list_inactive_users(db, actor=admin)
    assert [u.user_id for u in waiting] == [user.user_id]
    await users.reactivate_user(db, actor=admin, user_id=user.user_id)
    seen = await operators.get_operator(db, actor=user, operator_id=operator.id)
    assert seen.id == operator.id
    assert await events_of(db, user.user_id) == [
        "registry.user.inactivated",
        "registry.user.reactivation_requested",
        "registry.user.reactivated",
    ]


async def test_users_are_warned_two_weeks_before_once(db: Any, make_user: MakeUser) -> None:
    user = await make_user("Greta Glömsk")
    await db.execute(
        "UPDATE users SET last_seen_at = now() - interval '4 months' + interval '10 days' "
        "WHERE id = $1",
        user.user_id,
    )
    await inactivity.run_inactivity_check(db, inactive_after_months=4, warning_days=14)
    await inactivity.run_inactivity_check(db, inactive_after_months=4, warning_days=14)
    assert await events_of(db, user.user_id) == ["registry.user.inactivity_warned"]


async def test_a_devices_reset_suspends_roles_until_unsuspended(
    db: Any, make_user: MakeUser, valid_operator: dict[str, Any]
) -> None:
    admin, operator = valid_operator["admin"], valid_operator["operator"]
    user, request = await _colleague(db, make_user, operator.id, "Hugo Nyckellös")
    await decisions.approve_role_request(db, actor=admin, role_request_id=request.id)
    event_id = uuid.uuid4()
    suspended = await inactivity.suspend_after_devices_reset(
        db, user_id=user.user_id, event_id=event_id
    )
    assert suspended == [request.id]
    assert (
        await inactivity.suspend_after_devices_reset(db, user_id=user.user_id, event_id=event_id)
        is None
    ), "a redelivered event is not acted on twice"
    with pytest.raises(PermissionDeniedError):
        await operators.get_operator(db, actor=user, operator_id=operator.id)
    await decisions.unsuspend_role(db, actor=admin, role_request_id=request.id)
    assert (await operators.get_operator(db, actor=user, operator_id=operator.id)).id == operator.id


async def test_a_reported_sign_in_suspends_like_a_devices_reset_and_says_why(
    db: Any, make_user: MakeUser, valid_operator: dict[str, Any]
) -> None:
    """Issue 18: "This wasn't me" reaches the registry as identity.user.devices_reset with
    sign_in_reported; the decider reviewing the suspension reads that reason, not a reset."""
    admin, operator = valid_operator["admin"], valid_operator["operator"]
    user, request = await _colleague(db, make_user, operator.id, "Rut Rapporterad")
    await decisions.approve_role_request(db, actor=admin, role_request_id=request.id)
    suspended = await inactivity.suspend_after_devices_reset(
        db, user_id=user.user_id, event_id=uuid.uuid4(), sign_in_reported=True
    )
    assert suspended == [request.id]
    reasons = await db.fetch(
        "SELECT reason FROM audit_log WHERE action = 'role.suspended' AND target_user_id = $1",
        user.user_id,
    )
    assert [row["reason"] for row in reasons] == [inactivity.SIGN_IN_REPORTED_REASON]


async def test_authority_members_are_approved_by_that_authoritys_administrators(
    db: Any, make_user: MakeUser, make_admin_of: MakeUser
) -> None:
    sjv_admin = await make_admin_of(SJV_IEK, "Sven Chef")
    post_admin = await make_admin_of("SEGOT", "Gun Post")
    other_authority = await make_admin_of("SE-SLV", "Lena Livs")
    newcomer = await make_user("Nils Nyanställd")
    sjv_id = await db.fetchval("SELECT id FROM organizations WHERE code = $1", SJV_IEK)
    request = await roles.request_role(
        db, actor=newcomer, organization_id=sjv_id, application=Application()
    )
    for outsider in (post_admin, other_authority):
        with pytest.raises(PermissionDeniedError):
            await decisions.approve_role_request(db, actor=outsider, role_request_id=request.id)
    approved = await decisions.approve_role_request(db, actor=sjv_admin, role_request_id=request.id)
    assert approved.status is RoleStatus.APPROVED
    assert not approved.is_admin  # the command made the first administrator already


async def test_control_bodies_first_user_by_the_authority_then_by_their_admins(
    db: Any, make_user: MakeUser, make_admin_of: MakeUser
) -> None:
    from gatehouse_registry.reference_data.admin import (  # noqa: PLC0415
        OrganizationIn,
        ReferenceData,
        load_reference_data,
    )

    await load_reference_data(
        db,
        ReferenceData(
            organizations=[
                OrganizationIn(
                    code="SE-EKO-99",
                    kind="organic_control_body",
                    name="Ekokontroll AB",
                    country_code="SE",
                    competent_authority_code="SE-SLV",
                )
            ]
        ),
    )
    body_id = await db.fetchval("SELECT id FROM organizations WHERE code = 'SE-EKO-99'")
    slv = await make_admin_of("SE-SLV", "Lena Livs")
    first, second = await make_user("Första Kontrollant"), await make_user("Andra Kontrollant")
    first_request = await roles.request_role(
        db, actor=first, organization_id=body_id, application=Application()
    )
    approved = await decisions.approve_role_request(db, actor=slv, role_request_id=first_request.id)
    assert approved.is_admin
    second_request = await roles.request_role(
        db, actor=second, organization_id=body_id, application=Application()
    )
    assert [r.id for r in await roles.list_decidable_requests(db, actor=first)] == [
        second_request.id
    ]
    await decisions.approve_role_request(db, actor=first, role_request_id=second_request.id)


async def test_new_activities_are_validated_by_their_authority(
    db: Any, make_user: MakeUser, make_admin_of: MakeUser, valid_operator: dict[str, Any]
) -> None:
    from datetime import date  # noqa: PLC0415

    from gatehouse_registry.operators.models import NewActivity  # noqa: PLC0415

    admin, operator = valid_operator["admin"], valid_operator["operator"]
    slv = await make_admin_of("SE-SLV", "Lena Livs")
    slv_id = await db.fetchval("SELECT id FROM organizations WHERE code = 'SE-SLV'")
    activity = await operators.add_activity(
        db,
        actor=admin,
        operator_id=operator.id,
        activity=NewActivity(
            chapter_code="organic",
            section_code="ORGANIC",
            activity_type_code="ORGANIC IMPORTER",
            identification_code="EKO-1",
            valid_from=date(2025, 3, 1),
            competent_authority_id=slv_id,
            address=operator.addresses[0].id,
        ),
    )
    assert activity.status is OrganizationStatus.PENDING
    with pytest.raises(PermissionDeniedError):  # plant health's authority is not organic's
        await operator_decisions.decide_activity(
            db, actor=valid_operator["authority"], activity_id=activity.id, approve=True
        )
    decided = await operator_decisions.decide_activity(
        db, actor=slv, activity_id=activity.id, approve=True
    )
    assert decided.status is OrganizationStatus.VALID
    assert "registry.activity.validated" in await events_of(db, operator.id)
