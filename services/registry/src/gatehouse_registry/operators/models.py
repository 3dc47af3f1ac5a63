"""Operators as the rest of the registry sees them, and what creating one takes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from gatehouse_registry.operators.identifiers import IdentifierType


class OrganizationStatus(StrEnum):
    PENDING = "pending"
    VALID = "valid"
    REJECTED = "rejected"


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True)
class NewAddress:
    street: str
    postal_code: str
    city: str
    country_code: str
    is_main: bool = False


@dataclass(frozen=True)
class NewContact:
    kind: ContactKind
    value: str


@dataclass(frozen=True)
class NewIdentifier:
    type: IdentifierType | None  # None: not chosen (the service says so)
    value: str


@dataclass(frozen=True)
class NewActivity:
    """An activity as asked for. What is None was not given (or not readable): the service names
    the field as required."""

    section_code: str
    activity_type_code: str
    identification_code: str
    valid_from: date | None
    competent_authority_id: uuid.UUID | None
    # Index into the operator's addresses when creating; an address id when adding later.
    address: int | uuid.UUID | None
    chapter_code: str | None = None
    valid_to: date | None = None
    publication_date: date | None = None
    application_date: date | None = None


@dataclass(frozen=True)
class CheckedActivity:
    """An activity the service has checked, as it is stored."""

    section_code: str
    chapter_code: str | None
    activity_type_code: str
    identification_code: str
    valid_from: date
    valid_to: date | None
    publication_date: date | None
    application_date: date | None
    competent_authority_id: uuid.UUID


@dataclass(frozen=True)
class Address:
    id: uuid.UUID
    street: str
    postal_code: str
    city: str
    country_code: str
    is_main: bool

    def one_line(self) -> str:
        return f"{self.street} {self.postal_code} {self.city} {self.country_code}"


@dataclass(frozen=True)
class Contact:
    id: uuid.UUID
    kind: ContactKind
    value: str


@dataclass(frozen=True)
class Identifier:
    id: uuid.UUID
    type: IdentifierType
    country_code: str
    value: str


@dataclass(frozen=True)
class Activity:
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
    status: OrganizationStatus


@dataclass(frozen=True)
class Operator:
    id: uuid.UUID
    name: str
    country_code: str
    status: OrganizationStatus
    competent_authority_id: uuid.UUID | None
    created_at: datetime
    addresses: tuple[Address, ...] = ()
    contacts: tuple[Contact, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True)
class OperatorSummary:
    """What other services are told about an operator (gRPC GetOperator)."""

    id: uuid.UUID
    name: str
    country_code: str
    status: OrganizationStatus
    competent_authority_id: uuid.UUID | None
    competent_authority_name: str | None


@dataclass(frozen=True)
class OperatorState:
    """What the deciding rules need of an operator (read with its row locked)."""

    id: uuid.UUID
    name: str
    status: OrganizationStatus
    country_code: str
    competent_authority_id: uuid.UUID | None


@dataclass(frozen=True)
class ActivityState:
    """What the deciding rules need of an activity (read with its row locked)."""

    id: uuid.UUID
    status: OrganizationStatus
    authority_id: uuid.UUID
    operator_id: uuid.UUID
    operator_status: OrganizationStatus


@dataclass(frozen=True)
class IdentifierHolder:
    """The operator an active identifier is registered for."""

    operator_id: uuid.UUID
    name: str


@dataclass(frozen=True)
class CreatedOperator:
    operator: Operator
    role_request_id: uuid.UUID


@dataclass(frozen=True)
class ActivitySummary:
    section_code: str
    activity_type_code: str
    name: str


@dataclass(frozen=True)
class WaitingActivity:
    """A new activity of a valid operator, waiting for its authority's validation."""

    activity_id: uuid.UUID
    operator_id: uuid.UUID
    operator_name: str
    section_code: str
    activity_type_code: str
    created_at: datetime
