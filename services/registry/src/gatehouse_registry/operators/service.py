"""Operators: create one (with its first activity and its creator's application), check a new
one without creating it, read it within one's scope, and add an activity to a valid one. What a
new operator must satisfy is in operators.validation, the authority's decisions in
operators.decisions, the SQL in operators.queries.

Every function opens one transaction, checks the actor's valid roles inside it, writes the change,
its audit entry and its event together — so a refused or failed call leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_registry.access import (
    Actor,
    OrganizationKind,
    Principal,
    load_principal,
    may_read_operator,
)
from gatehouse_registry.audit import service as audit
from gatehouse_registry.errors import (
    NotFoundError,
    OrganizationNotValidError,
    PermissionDeniedError,
    Problems,
)
from gatehouse_registry.events import emit
from gatehouse_registry.operators import queries
from gatehouse_registry.operators.errors import (
    AddressNotOfOperatorError,
    DuplicateIdentifierError,
    IdentifierTakenMeanwhileError,
)
from gatehouse_registry.operators.models import (
    Activity,
    CreatedOperator,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
    Operator,
    OrganizationStatus,
)
from gatehouse_registry.operators.validation import (
    COMPETENT_AUTHORITY_KINDS,
    CheckedOperator,
    checked_activity,
    checked_new_operator,
)
from gatehouse_registry.reference_data import service as reference_data_service
from gatehouse_registry.reference_data.models import Authority
from gatehouse_registry.roles.models import Application
from gatehouse_registry.roles.service import checked_application, insert_role_request
from gatehouse_registry.search import service as search


async def record_operator_change(
    connection: AsyncConnection,
    *,
    principal: Principal,
    operator_id: uuid.UUID,
    authority_id: uuid.UUID | None,
    event_type: str,
    message: Message,
    action: str,
    subject_type: str = "operator",
    subject_id: uuid.UUID | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Emit the operator's outbox event and write the audit entry, in the caller's transaction:
    one never exists without the other. The audit subject is the operator unless `subject_id`
    (e.g. an activity's) says otherwise; `authority_id` is the one that may read the entry."""
    await emit(connection, event_type, subject=operator_id, message=message)
    await audit.record(
        connection,
        actor=principal,
        action=action,
        subject_type=subject_type,
        subject_id=operator_id if subject_id is None else subject_id,
        organization_id=operator_id,
        scope=[authority_id],
        reason=reason,
        details=details,
    )


async def _check_new_operator(
    connection: AsyncConnection,
    *,
    name: str,
    addresses: Sequence[NewAddress],
    contacts: Sequence[NewContact],
    identifiers: Sequence[NewIdentifier],
    activity: NewActivity,
    application: Application,
) -> tuple[CheckedOperator, Application]:
    """Every problem of the input at once; then no identifier may be registered already."""
    problems = Problems()
    operator = None
    with problems.check():
        operator = await checked_new_operator(
            connection,
            name=name,
            addresses=addresses,
            contacts=contacts,
            identifiers=identifiers,
            activity=activity,
        )
    with problems.check():
        application = checked_application(application, prefix="application.")
    problems.raise_any()
    assert operator is not None  # noqa: S101  (a problem was raised otherwise)
    for index, identifier in enumerate(operator.identifiers):
        holder = await queries.identifier_holder(connection, identifier)
        if holder is not None:
            raise DuplicateIdentifierError(
                f"{identifier.type.value} {identifier.value} is already registered for "
                f"{holder.name}; ask for access to that operator instead",
                field=f"identifiers[{index}].value",
                existing_operator_id=str(holder.operator_id),
                existing_operator_name=holder.name,
            )
    return operator, application


async def check_new_operator(
    database: Database,
    *,
    actor: Actor,
    name: str,
    addresses: Sequence[NewAddress],
    contacts: Sequence[NewContact],
    identifiers: Sequence[NewIdentifier],
    activity: NewActivity,
    application: Application,
) -> None:
    """What create_operator would refuse, without creating anything: the *Create* step of the
    form, before the application is sent."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        await _check_new_operator(
            connection,
            name=name,
            addresses=addresses,
            contacts=contacts,
            identifiers=identifiers,
            activity=activity,
            application=application,
        )


async def create_operator(
    database: Database,
    *,
    actor: Actor,
    name: str,
    addresses: Sequence[NewAddress],
    contacts: Sequence[NewContact],
    identifiers: Sequence[NewIdentifier],
    activity: NewActivity,
    application: Application,
) -> CreatedOperator:
    """Create a pending operator with its first activity, and the creator's pending request to
    become its user — one transaction, so an invalid activity leaves no orphan operator."""
    operator_id = uuid.uuid4()
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator, application = await _check_new_operator(
            connection,
            name=name,
            addresses=addresses,
            contacts=contacts,
            identifiers=identifiers,
            activity=activity,
            application=application,
        )
        first_activity = operator.activity
        main_address = operator.addresses[operator.main]
        await queries.insert_operator(
            connection,
            operator_id=operator_id,
            name=operator.name,
            country_code=operator.country_code,
            competent_authority_id=first_activity.competent_authority_id,
            search=await search.record_operator_words(
                connection, name=operator.name, town=main_address.city
            ),
            created_by=actor.user_id,
        )
        address_ids = await queries.insert_addresses(
            connection, operator_id, operator.addresses, main=operator.main
        )
        await queries.insert_contacts(connection, operator_id, operator.contacts)
        if not await queries.insert_identifiers(connection, operator_id, operator.identifiers):
            raise IdentifierTakenMeanwhileError(
                "an identifier was registered for another operator a moment ago; search again",
                field="identifiers",
            )
        activity_id = await queries.insert_activity(
            connection,
            operator_id=operator_id,
            activity=first_activity,
            address_id=address_ids[operator.activity_address],
            created_by=actor.user_id,
        )
        await record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=first_activity.competent_authority_id,
            event_type="registry.operator.created",
            message=events.OperatorCreated(
                operator_id=str(operator_id),
                created_by_user_id=str(actor.user_id),
                competent_authority_id=str(first_activity.competent_authority_id),
            ),
            action="operator.created",
            details={"name": operator.name, "first_activity_id": str(activity_id)},
        )
        role_request_id = await insert_role_request(
            connection,
            principal=principal,
            organization_id=operator_id,
            organization_kind=OrganizationKind.OPERATOR,
            competent_authority_id=first_activity.competent_authority_id,
            application=application,
        )
        created = await reload_operator(connection, operator_id)
    return CreatedOperator(operator=created, role_request_id=role_request_id)


async def reload_operator(connection: AsyncConnection, operator_id: uuid.UUID) -> Operator:
    operator = await queries.load_operator(connection, operator_id)
    # Operators are never deleted, and this one was just read or written in this transaction.
    assert operator is not None  # noqa: S101
    return operator


async def get_operator(database: Database, *, actor: Actor, operator_id: uuid.UUID) -> Operator:
    """The whole operator (contacts, identifiers, activities) for its valid users and the
    authorities in scope; everyone else sees only what search shows."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator = await queries.load_operator(connection, operator_id)
        if operator is None:
            raise NotFoundError(f"no operator {operator_id}")
        if not await may_read_operator(connection, principal, operator_id):
            raise PermissionDeniedError("only the operator's users and its authorities")
    return operator


async def add_activity(
    database: Database, *, actor: Actor, operator_id: uuid.UUID, activity: NewActivity
) -> Activity:
    """An administrator of a valid operator adds an activity (e.g. organic besides plants); the
    authority chosen for it by country and chapter validates it."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator = await queries.lock_operator(connection, operator_id)
        if operator is None:
            raise NotFoundError(f"no operator {operator_id}")
        if operator_id not in principal.admin_of:
            raise PermissionDeniedError("only the operator's administrators add activities")
        if operator.status is not OrganizationStatus.VALID:
            raise OrganizationNotValidError("the operator is not valid")
        problems = Problems()
        address_id = activity.address
        with problems.check():
            if not isinstance(address_id, uuid.UUID) or not await queries.address_of_operator(
                connection, address_id, operator_id
            ):
                raise AddressNotOfOperatorError(
                    "choose one of the operator's addresses", field="address_id"
                )
        stored = None
        with problems.check():
            stored = await checked_activity(
                connection, activity, country_code=operator.country_code, field=""
            )
        problems.raise_any()
        assert isinstance(address_id, uuid.UUID)  # noqa: S101  (checked above)
        assert stored is not None  # noqa: S101
        activity_id = await queries.insert_activity(
            connection,
            operator_id=operator_id,
            activity=stored,
            address_id=address_id,
            created_by=actor.user_id,
        )
        await record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=stored.competent_authority_id,
            event_type="registry.activity.created",
            message=events.ActivityCreated(
                activity_id=str(activity_id),
                operator_id=str(operator_id),
                created_by_user_id=str(actor.user_id),
                authority_id=str(stored.competent_authority_id),
            ),
            action="activity.created",
            subject_type="activity",
            subject_id=activity_id,
            details={"activity_type_code": stored.activity_type_code},
        )
        return await reload_activity(connection, activity_id)


async def reload_activity(connection: AsyncConnection, activity_id: uuid.UUID) -> Activity:
    activity = await queries.load_activity(connection, activity_id)
    if activity is None:
        raise NotFoundError(f"no activity {activity_id}")
    return activity


async def list_competent_authorities(
    database: Database, *, country_code: str, chapter_code: str | None = None
) -> list[Authority]:
    """The authorities an operator's activity in that country (and chapter) may be assigned to:
    what the create-operator form offers, by the rule create_operator checks."""
    authorities = await reference_data_service.list_authorities(
        database, country_code=country_code, chapter_code=chapter_code or None
    )
    return [a for a in authorities if a.authority_kind in COMPETENT_AUTHORITY_KINDS]
