"""Wire shapes of the operators JSON API. Limits here are the first line against bad input; the
service checks codes, identifiers and dates against the registry itself."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from gatehouse_registry.operators import models
from gatehouse_registry.operators.identifiers import IdentifierType
from gatehouse_registry.roles.schemas import ApplicationIn
from gatehouse_registry.schemas import Email, Phone, StrictModel
from gatehouse_registry.search.models import Match, SearchPage

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class AddressIn(StrictModel):
    street: Text200
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)
    ]
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    country_code: CountryCode
    main: bool = False


class PhoneContactIn(StrictModel):
    kind: Literal["phone"]
    value: Phone


class EmailContactIn(StrictModel):
    kind: Literal["email"]
    value: Email


class IdentifierIn(StrictModel):
    type: IdentifierType
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ActivityFields(StrictModel):
    chapter_code: Code | None = Field(
        default=None, description="Checked against the section; `none` for chapter-less sections"
    )
    section_code: Code
    activity_type_code: Code
    identification_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    valid_from: date
    valid_to: date | None = None
    publication_date: date | None = None
    application_date: date | None = None
    competent_authority_id: uuid.UUID = Field(
        description="Chosen by country and chapter: GET /api/v1/authorities?country=&chapter="
    )


class NewOperatorActivityIn(ActivityFields):
    address_index: Annotated[int, Field(ge=0, lt=10)] = Field(
        description="Which of the operator's addresses is the activity address (0 = first)"
    )


class AddActivityIn(ActivityFields):
    address_id: uuid.UUID


class CreateOperatorRequest(StrictModel):
    name: Text200
    addresses: Annotated[list[AddressIn], Field(min_length=1, max_length=10)]
    contacts: Annotated[
        list[Annotated[PhoneContactIn | EmailContactIn, Field(discriminator="kind")]],
        Field(min_length=2, max_length=20),
    ]
    identifiers: Annotated[list[IdentifierIn], Field(min_length=1, max_length=10)]
    activity: NewOperatorActivityIn
    application: ApplicationIn = Field(default_factory=ApplicationIn)


class AddressOut(BaseModel):
    id: uuid.UUID
    street: str
    postal_code: str
    city: str
    country_code: str
    main: bool


class ContactOut(BaseModel):
    id: uuid.UUID
    kind: str
    value: str


class IdentifierOut(BaseModel):
    id: uuid.UUID
    type: str
    country_code: str
    value: str


class ActivityOut(BaseModel):
    id: uuid.UUID
    chapter_code: str | None
    section_code: str
    activity_type_code: str
    activity_type_name: str
    identification_code: str
    valid_from: date
    valid_to: date | None
    publication_date: date | None
    application_date: date | None
    address_id: uuid.UUID
    authority_id: uuid.UUID
    status: str


class OperatorOut(BaseModel):
    id: uuid.UUID
    name: str
    country_code: str
    status: str
    competent_authority_id: uuid.UUID | None
    addresses: list[AddressOut]
    contacts: list[ContactOut]
    identifiers: list[IdentifierOut]
    activities: list[ActivityOut]


class CreatedOperatorOut(BaseModel):
    operator: OperatorOut
    role_request_id: uuid.UUID
    message: str


class ActivitySummaryOut(BaseModel):
    section_code: str
    activity_type_code: str
    name: str


class SearchHitOut(BaseModel):
    id: uuid.UUID
    name: str
    status: str
    address: str
    activities: list[ActivitySummaryOut]
    match: Match = Field(description="How it matched, best first: " + ", ".join(Match))


class SearchPageOut(BaseModel):
    items: list[SearchHitOut]
    page: int
    page_size: int
    total: int = Field(description="Hits with every word typed, counted up to a cap")
    total_is_exact: bool
    more: bool = Field(description="There are hits after this page")
    suggestion: str | None = Field(
        description="Did you mean: the name found for a corrected query, when no hit has "
        "every word typed"
    )


def activity_out(activity: models.Activity) -> ActivityOut:
    return ActivityOut(**{**vars(activity), "status": activity.status.value})


def operator_out(operator: models.Operator) -> OperatorOut:
    return OperatorOut(
        id=operator.id,
        name=operator.name,
        country_code=operator.country_code,
        status=operator.status.value,
        competent_authority_id=operator.competent_authority_id,
        addresses=[
            AddressOut(
                id=a.id,
                street=a.street,
                postal_code=a.postal_code,
                city=a.city,
                country_code=a.country_code,
                main=a.is_main,
            )
            for a in operator.addresses
        ],
        contacts=[ContactOut(id=c.id, kind=c.kind.value, value=c.value) for c in operator.contacts],
        identifiers=[
            IdentifierOut(id=i.id, type=i.type.value, country_code=i.country_code, value=i.value)
            for i in operator.identifiers
        ],
        activities=[activity_out(a) for a in operator.activities],
    )


def search_page_out(page: SearchPage) -> SearchPageOut:
    return SearchPageOut(
        items=[
            SearchHitOut(
                id=hit.id,
                name=hit.name,
                status=hit.status.value,
                address=hit.address,
                activities=[ActivitySummaryOut(**vars(a)) for a in hit.activities],
                match=hit.match,
            )
            for hit in page.items
        ],
        page=page.page,
        page_size=page.page_size,
        total=page.total,
        total_is_exact=page.total_is_exact,
        more=page.more,
        suggestion=page.suggestion,
    )
