"""Example operators for a demonstration or training installation (`make demo`,
`python -m gatehouse_registry load-example-operators`).

Everything goes through the registry's own rules, as the people named would have done it on the
pages: the operator administrator creates two operators and the authority user validates them and
approves their request (so they become the operators' administrator); a third operator waits for
the authority's validation; a colleague waits for the operator administrator's approval. The
newcomer playing each role therefore finds work waiting on every start page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from gatehouse_common.db import Database
from gatehouse_registry.operators import decisions as operator_decisions
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
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application

# Jordbruksverket's import control unit: the competent authority for plant imports to Sweden.
PLANT_IMPORT_AUTHORITY_ID = uuid.UUID("6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01")


@dataclass(frozen=True)
class ExamplePerson:
    """Someone with an identity account, acting here as on the pages after a full sign-in."""

    user_id: uuid.UUID
    full_name: str
    email: str
    level: str = "multi_factor"
    amr: tuple[str, ...] = ("pwd", "otp", "mfa")


@dataclass(frozen=True)
class _Example:
    name: str
    street: str
    postal_code: str
    city: str
    organisation_number: str
    section: str  # EUPO or EURPO: what plant importers must carry (DESIGN §1, step 4)


VALIDATED = (
    _Example("Nordfrukt Import AB", "Hamngatan 4", "411 06", "Göteborg", "559900-0014", "EUPO"),
    _Example("Sydplant Handel AB", "Industrigatan 9", "212 14", "Malmö", "559900-0022", "EURPO"),
)
WAITING_FOR_VALIDATION = _Example(
    "Grönt & Gott Import AB", "Kvarngatan 2", "753 20", "Uppsala", "559900-0030", "EUPO"
)


async def load_example_operators(
    database: Database,
    *,
    authority_user: ExamplePerson,
    operator_administrator: ExamplePerson,
    colleague: ExamplePerson,
) -> list[str]:
    """Create the example operators and requests; returns one line per thing done."""
    done = []
    first_operator_id = None
    for example in VALIDATED:
        created = await _create(database, operator_administrator, example)
        await operator_decisions.validate_operator(
            database, actor=authority_user, operator_id=created.operator.id
        )
        await decisions.approve_role_request(
            database, actor=authority_user, role_request_id=created.role_request_id
        )
        first_operator_id = first_operator_id or created.operator.id
        done.append(f"{example.name}: valid, administrator {operator_administrator.full_name}")
    waiting = await _create(database, colleague, WAITING_FOR_VALIDATION)
    done.append(
        f"{waiting.operator.name}: waits for {authority_user.full_name} to validate it "
        f"(asked by {colleague.full_name})"
    )
    assert first_operator_id is not None  # noqa: S101 (VALIDATED is not empty)
    await roles.request_role(
        database,
        actor=colleague,
        organization_id=first_operator_id,
        application=Application(message="Jag sköter importen av äpplen från och med nu."),
    )
    done.append(
        f"{VALIDATED[0].name}: {colleague.full_name} waits for "
        f"{operator_administrator.full_name}'s approval"
    )
    return done


async def _create(database: Database, person: ExamplePerson, example: _Example) -> CreatedOperator:
    number = example.organisation_number
    return await operators.create_operator(
        database,
        actor=person,
        name=example.name,
        addresses=[
            NewAddress(
                street=example.street,
                postal_code=example.postal_code,
                city=example.city,
                country_code="SE",
                is_main=True,
            )
        ],
        contacts=[
            NewContact(kind=ContactKind.PHONE, value="+46 31 700 00 00"),
            NewContact(kind=ContactKind.EMAIL, value=person.email),
        ],
        identifiers=[NewIdentifier(type=IdentifierType.NATIONAL_REGISTRATION_NUMBER, value=number)],
        activity=NewActivity(
            chapter_code="plant_health",
            section_code=example.section,
            activity_type_code=example.section,
            identification_code=number.replace("-", ""),
            valid_from=date(2025, 1, 1),
            competent_authority_id=PLANT_IMPORT_AUTHORITY_ID,
            address=0,
        ),
        application=Application(message="Vi importerar frukt och plantor.", email=person.email),
    )
