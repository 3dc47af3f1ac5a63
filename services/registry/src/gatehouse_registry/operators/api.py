"""Operators JSON API (`/api/v1/operators`, `/api/v1/activities`): a thin translation between
HTTP and operators.service / gatehouse_registry.search."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from gatehouse_registry.dependencies import (
    AUTH_RESPONSES,
    CONFLICT,
    DECISION_RESPONSES,
    INVALID,
    NOT_FOUND,
    REASONED_DECISION_RESPONSES,
    CurrentUser,
    DatabaseIn,
)
from gatehouse_registry.operators import decisions, service
from gatehouse_registry.operators.models import (
    ContactKind,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
)
from gatehouse_registry.operators.schemas import (
    ActivityFields,
    ActivityOut,
    AddActivityIn,
    CreatedOperatorOut,
    CreateOperatorRequest,
    OperatorOut,
    SearchPageOut,
    activity_out,
    operator_out,
    search_page_out,
)
from gatehouse_registry.roles.models import Application
from gatehouse_registry.schemas import DecisionIn, RejectionIn, optional_reason
from gatehouse_registry.search import service as search

router = APIRouter(prefix="/api/v1", tags=["operators"], responses=AUTH_RESPONSES)

PENDING_MESSAGE = (
    "The roles you requested are being reviewed. Contact your responsible authority or the "
    "administrator inside your organisation to be validated. You will be notified by e-mail as "
    "soon as they are approved."
)


def _new_activity(body: ActivityFields, address: int | uuid.UUID) -> NewActivity:
    return NewActivity(
        chapter_code=body.chapter_code,
        section_code=body.section_code,
        activity_type_code=body.activity_type_code,
        identification_code=body.identification_code,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        publication_date=body.publication_date,
        application_date=body.application_date,
        competent_authority_id=body.competent_authority_id,
        address=address,
    )


@router.get(
    "/operators",
    summary="Search operators by name, town or identifier, country, section and activity type",
    responses=INVALID,
)
async def search_operators(
    database: DatabaseIn,
    user: CurrentUser,
    *,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    section: Annotated[str | None, Query(max_length=60)] = None,
    activity_type: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=search.MAX_TEXT,
            description="Name, town, organisation, VAT or EORI number; typos forgiven",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=search.MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=search.MAX_PAGE_SIZE)] = 20,
) -> SearchPageOut:
    found = await search.search_operators(
        database,
        actor=user,
        country_code=country,
        section_code=section,
        activity_type_code=activity_type,
        text=q,
        page=page,
        page_size=page_size,
    )
    return search_page_out(found)


@router.post(
    "/operators",
    status_code=status.HTTP_201_CREATED,
    summary="Create a new operator with one activity and send the application for approval",
    responses={**INVALID, **CONFLICT},
)
async def create_operator(
    body: CreateOperatorRequest, database: DatabaseIn, user: CurrentUser
) -> CreatedOperatorOut:
    created = await service.create_operator(
        database,
        actor=user,
        name=body.name,
        addresses=[
            NewAddress(
                street=a.street,
                postal_code=a.postal_code,
                city=a.city,
                country_code=a.country_code,
                is_main=a.main,
            )
            for a in body.addresses
        ],
        contacts=[NewContact(kind=ContactKind(c.kind), value=str(c.value)) for c in body.contacts],
        identifiers=[NewIdentifier(type=i.type, value=i.value) for i in body.identifiers],
        activity=_new_activity(body.activity, body.activity.address_index),
        application=Application(
            message=body.application.message,
            email=body.application.email,
            phone=body.application.phone,
        ),
    )
    return CreatedOperatorOut(
        operator=operator_out(created.operator),
        role_request_id=created.role_request_id,
        message=PENDING_MESSAGE,
    )


@router.get("/operators/{operator_id}", summary="One operator, in full", responses=NOT_FOUND)
async def get_operator(
    operator_id: uuid.UUID, database: DatabaseIn, user: CurrentUser
) -> OperatorOut:
    return operator_out(await service.get_operator(database, actor=user, operator_id=operator_id))


@router.post(
    "/operators/{operator_id}/validate",
    summary="The competent authority validates a pending operator",
    responses=DECISION_RESPONSES,
)
async def validate_operator(
    operator_id: uuid.UUID, database: DatabaseIn, user: CurrentUser, body: DecisionIn | None = None
) -> OperatorOut:
    operator = await decisions.validate_operator(
        database, actor=user, operator_id=operator_id, reason=optional_reason(body)
    )
    return operator_out(operator)


@router.post(
    "/operators/{operator_id}/reject",
    summary="The competent authority rejects a pending operator",
    responses=REASONED_DECISION_RESPONSES,
)
async def reject_operator(
    operator_id: uuid.UUID, body: RejectionIn, database: DatabaseIn, user: CurrentUser
) -> OperatorOut:
    operator = await decisions.reject_operator(
        database, actor=user, operator_id=operator_id, reason=body.reason
    )
    return operator_out(operator)


@router.post(
    "/operators/{operator_id}/activities",
    status_code=status.HTTP_201_CREATED,
    summary="An administrator adds an activity, to be validated by its authority",
    responses=REASONED_DECISION_RESPONSES,
)
async def add_activity(
    operator_id: uuid.UUID, body: AddActivityIn, database: DatabaseIn, user: CurrentUser
) -> ActivityOut:
    activity = await service.add_activity(
        database, actor=user, operator_id=operator_id, activity=_new_activity(body, body.address_id)
    )
    return activity_out(activity)


@router.post(
    "/activities/{activity_id}/validate",
    summary="The activity's authority validates it",
    responses=DECISION_RESPONSES,
)
async def validate_activity(
    activity_id: uuid.UUID, database: DatabaseIn, user: CurrentUser, body: DecisionIn | None = None
) -> ActivityOut:
    activity = await decisions.decide_activity(
        database,
        actor=user,
        activity_id=activity_id,
        approve=True,
        reason=optional_reason(body),
    )
    return activity_out(activity)


@router.post(
    "/activities/{activity_id}/reject",
    summary="The activity's authority rejects it",
    responses=REASONED_DECISION_RESPONSES,
)
async def reject_activity(
    activity_id: uuid.UUID, body: RejectionIn, database: DatabaseIn, user: CurrentUser
) -> ActivityOut:
    activity = await decisions.decide_activity(
        database, actor=user, activity_id=activity_id, approve=False, reason=body.reason
    )
    return activity_out(activity)
