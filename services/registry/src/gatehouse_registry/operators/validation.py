"""What a new operator and an activity must satisfy, checked against the registry's reference data.

Every independent check runs and each problem names its field (`addresses[1].city`,
`activity.valid_to`), so a form shows them all beside their fields at once and an API client
reads them all (errors.InvalidFieldsError); checks that depend on another value (an activity
type within its section, an identifier within the operator's country) run only when that value
is known to be right.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.checks import check_email, check_phone, clean_text
from gatehouse_registry.errors import (
    ChoiceRequiredError,
    Problems,
    RequiredError,
    TooManyError,
    UnknownChoiceError,
)
from gatehouse_registry.operators.errors import (
    ActivityTypeNotInSectionError,
    AddressesMissingError,
    AuthorityNotCompetentError,
    ContactsIncompleteError,
    IdentifiersMissingError,
    RepeatedIdentifierError,
    SectionNotInChapterError,
    SeveralMainAddressesError,
    ValidToBeforeValidFromError,
)
from gatehouse_registry.operators.identifiers import Identifier as CheckedIdentifier
from gatehouse_registry.operators.identifiers import normalize_identifier
from gatehouse_registry.operators.models import (
    CheckedActivity,
    ContactKind,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
)
from gatehouse_registry.reference_data import queries as reference_data
from gatehouse_registry.reference_data.service import NO_CHAPTER

MAX_ADDRESSES = 10
MAX_CONTACTS = 20
MAX_IDENTIFIERS = 10
# Authorities an operator's activity may be assigned to (border posts decide loads, not
# operators).
COMPETENT_AUTHORITY_KINDS = ("central", "local")


@dataclass(frozen=True)
class CheckedOperator:
    name: str
    country_code: str
    addresses: list[NewAddress]
    main: int
    contacts: list[NewContact]
    identifiers: list[CheckedIdentifier]
    activity: CheckedActivity
    activity_address: int


def main_index(addresses: Sequence[NewAddress]) -> int:
    """Which address is the main one (the first, unless another is marked)."""
    if not addresses:
        raise AddressesMissingError("at least one address is needed", field="addresses")
    if len(addresses) > MAX_ADDRESSES:
        raise TooManyError(field="addresses", maximum=MAX_ADDRESSES)
    mains = [index for index, address in enumerate(addresses) if address.is_main]
    if len(mains) > 1:
        raise SeveralMainAddressesError(
            "only one address can be the main address", field="addresses"
        )
    return mains[0] if mains else 0


async def _checked_addresses(
    connection: AsyncConnection, addresses: Sequence[NewAddress], main: int
) -> list[NewAddress]:
    problems = Problems()
    checked = []
    for index, address in enumerate(addresses):
        field = f"addresses[{index}]"
        street = postal_code = city = ""
        with problems.check():
            street = clean_text(address.street, field=f"{field}.street", max_length=200)
        with problems.check():
            postal_code = clean_text(
                address.postal_code, field=f"{field}.postal_code", max_length=20
            )
        with problems.check():
            city = clean_text(address.city, field=f"{field}.city", max_length=100)
        with problems.check():
            await _check_country(connection, address.country_code, field=f"{field}.country_code")
        checked.append(NewAddress(street, postal_code, city, address.country_code, index == main))
    problems.raise_any()
    return checked


async def _check_country(connection: AsyncConnection, code: str, *, field: str) -> None:
    if not code:
        raise ChoiceRequiredError(field=field)
    if not await reference_data.country_exists(connection, code):
        raise UnknownChoiceError(f"unknown country code {code!r}", field=field)


def _checked_contacts(contacts: Sequence[NewContact]) -> list[NewContact]:
    problems = Problems()
    checked = []
    if len(contacts) > MAX_CONTACTS:
        raise TooManyError(field="contacts", maximum=MAX_CONTACTS)
    for index, contact in enumerate(contacts):
        field = f"contacts[{index}].value"
        with problems.check():
            if contact.kind is ContactKind.PHONE:
                value = check_phone(contact.value, field=field)
            else:
                value = check_email(contact.value, field=field)
            checked.append(NewContact(kind=contact.kind, value=value))
    kinds = {contact.kind for contact in contacts}
    if not {ContactKind.PHONE, ContactKind.EMAIL} <= kinds:
        # The authority must be able to reach a new operator (the manual insists on both).
        with problems.check():
            raise ContactsIncompleteError(
                "add at least one phone and one email contact", field="contacts"
            )
    problems.raise_any()
    return checked


def _checked_identifiers(
    identifiers: Sequence[NewIdentifier], country_code: str
) -> list[CheckedIdentifier]:
    if not identifiers:
        raise IdentifiersMissingError(
            "add at least one identifier (e.g. the national registration number)",
            field="identifiers",
        )
    if len(identifiers) > MAX_IDENTIFIERS:
        raise TooManyError(field="identifiers", maximum=MAX_IDENTIFIERS)
    problems = Problems()
    checked = []
    seen = set()
    for index, identifier in enumerate(identifiers):
        with problems.check():
            if identifier.type is None:
                raise ChoiceRequiredError(field=f"identifiers[{index}].type")
            normalized = normalize_identifier(
                kind=identifier.type,
                value=identifier.value,
                country_code=country_code,
                field=f"identifiers[{index}].value",
            )
            key = (normalized.type, normalized.country_code, normalized.value)
            if key in seen:
                raise RepeatedIdentifierError(
                    "the same identifier twice", field=f"identifiers[{index}].value"
                )
            seen.add(key)
            checked.append(normalized)
    problems.raise_any()
    return checked


async def checked_activity(
    connection: AsyncConnection, activity: NewActivity, *, country_code: str, field: str
) -> CheckedActivity:
    """Codes, dates and the competent authority; returns the activity as stored. `field` is
    the prefix of the fields named (`activity.` when creating an operator, empty otherwise)."""
    problems = Problems()
    chapter: str | None = None
    section_known = False
    with problems.check():
        chapter = await _section_chapter(connection, activity, field=field)
        section_known = True
    with problems.check():
        if not activity.activity_type_code:
            raise ChoiceRequiredError(field=f"{field}activity_type_code")
        if section_known and not await reference_data.activity_type_in_section(
            connection, activity.activity_type_code, section_code=activity.section_code
        ):
            raise ActivityTypeNotInSectionError(
                f"unknown activity {activity.activity_type_code!r} in section "
                f"{activity.section_code}",
                field=f"{field}activity_type_code",
            )
    identification_code = ""
    with problems.check():
        identification_code = clean_text(
            activity.identification_code, field=f"{field}identification_code", max_length=100
        )
    with problems.check():
        if activity.valid_from is None:
            raise RequiredError(field=f"{field}valid_from")
        if activity.valid_to is not None and activity.valid_to < activity.valid_from:
            raise ValidToBeforeValidFromError(
                "must not be before valid_from", field=f"{field}valid_to"
            )
    with problems.check():
        await _check_authority(
            connection,
            activity.competent_authority_id,
            country_code=country_code,
            chapter=chapter if section_known else None,
            field=f"{field}competent_authority_id",
        )
    problems.raise_any()
    # Both were checked above (RequiredError otherwise).
    assert activity.valid_from is not None  # noqa: S101
    assert activity.competent_authority_id is not None  # noqa: S101
    return CheckedActivity(
        section_code=activity.section_code,
        chapter_code=chapter,
        activity_type_code=activity.activity_type_code,
        identification_code=identification_code,
        valid_from=activity.valid_from,
        valid_to=activity.valid_to,
        publication_date=activity.publication_date,
        application_date=activity.application_date,
        competent_authority_id=activity.competent_authority_id,
    )


async def _section_chapter(
    connection: AsyncConnection, activity: NewActivity, *, field: str
) -> str | None:
    """The chapter of the activity's section, which must be the chapter chosen (if any)."""
    if not activity.section_code:
        raise ChoiceRequiredError(field=f"{field}section_code")
    section = await reference_data.section(connection, activity.section_code)
    if section is None:
        raise UnknownChoiceError(
            f"unknown section {activity.section_code!r}", field=f"{field}section_code"
        )
    chapter = section.chapter_code
    if activity.chapter_code and activity.chapter_code != (chapter or NO_CHAPTER):
        raise SectionNotInChapterError(
            f"section {activity.section_code} is not in chapter {activity.chapter_code!r}",
            field=f"{field}section_code",
        )
    return chapter


async def _check_authority(
    connection: AsyncConnection,
    authority_id: uuid.UUID | None,
    *,
    country_code: str,
    chapter: str | None,
    field: str,
) -> None:
    if authority_id is None:
        raise ChoiceRequiredError(field=field)
    authority = await reference_data.authority(connection, authority_id)
    if (
        authority is None
        or authority.authority_kind not in COMPETENT_AUTHORITY_KINDS
        or authority.country_code != country_code
        or (chapter is not None and chapter not in authority.chapter_codes)
    ):
        raise AuthorityNotCompetentError(
            f"choose a competent authority of {country_code} that handles "
            f"{chapter or 'this section'}",
            field=field,
        )


async def checked_new_operator(
    connection: AsyncConnection,
    *,
    name: str,
    addresses: Sequence[NewAddress],
    contacts: Sequence[NewContact],
    identifiers: Sequence[NewIdentifier],
    activity: NewActivity,
) -> CheckedOperator:
    """Every problem of a new operator at once (InvalidFieldsError), in the order of its fields;
    the operator as it is stored otherwise."""
    problems = Problems()
    with problems.check():
        name = clean_text(name, field="name", max_length=200)
    main = 0
    with problems.check():
        main = main_index(addresses)
    country_code = addresses[main].country_code if addresses else ""
    checked_addresses: list[NewAddress] = []
    with problems.check():
        checked_addresses = await _checked_addresses(connection, addresses, main)
    checked_contacts: list[NewContact] = []
    with problems.check():
        checked_contacts = _checked_contacts(contacts)
    checked_identifiers: list[CheckedIdentifier] = []
    with problems.check():
        checked_identifiers = _checked_identifiers(identifiers, country_code)
    activity_address = activity.address
    with problems.check():
        if not isinstance(activity_address, int) or not 0 <= activity_address < len(addresses):
            raise ChoiceRequiredError(field="activity.address_index")
    stored_activity = None
    with problems.check():
        stored_activity = await checked_activity(
            connection, activity, country_code=country_code, field="activity."
        )
    problems.raise_any()
    # Each was set above, or a problem was raised.
    assert isinstance(activity_address, int)  # noqa: S101
    assert stored_activity is not None  # noqa: S101
    return CheckedOperator(
        name=name,
        country_code=country_code,
        addresses=checked_addresses,
        main=main,
        contacts=checked_contacts,
        identifiers=checked_identifiers,
        activity=stored_activity,
        activity_address=activity_address,
    )
