"""Reference data as loaded by migration and extended by the admin command; identifier rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse_registry.errors import InvalidInputError
from gatehouse_registry.operators.identifiers import IdentifierType, normalize_identifier
from gatehouse_registry.reference_data import service as reference
from gatehouse_registry.reference_data.admin import (
    AuthorityIn,
    ChapterIn,
    OrganizationIn,
    ReferenceData,
    SectionIn,
    load_reference_data,
)

from .conftest import luhn_check_digit

NATIONAL = IdentifierType.NATIONAL_REGISTRATION_NUMBER


async def test_every_country_with_swedish_names(db: Any) -> None:
    countries = {c.code: c for c in await reference.list_countries(db)}
    assert len(countries) == 249
    assert countries["SE"].name_sv == "Sverige"
    assert countries["DE"].name_sv == "Tyskland"
    assert sum(c.eu_member for c in countries.values()) == 27
    assert {c for c, v in countries.items() if v.eea_member and not v.eu_member} == {
        "IS",
        "LI",
        "NO",
    }


async def test_chapters_sections_and_activities_from_the_manual(db: Any) -> None:
    chapters = {c.code: c for c in await reference.list_chapters(db)}
    assert [s.code for s in chapters["none"].sections] == [
        "EXPORTER",
        "IMPORTER",
        "RFL",
        "TRANSPORTER",
    ]
    plant = {s.code: s for s in chapters["plant_health"].sections}
    assert plant["EUPO"].activity_types[0].name_en == (
        "Professional operators other than those referred to in Article 45(1)(l) IMSOC"
    )
    assert plant["EURPO"].activity_types[0].name_en == (
        "Professional operators referred to in Article 45(1)(l) IMSOC"
    )
    organic = {t.code for s in chapters["organic"].sections for t in s.activity_types}
    assert "ORGANIC IMPORTER" in organic
    assert chapters["timber"].sections[0].activity_types[0].name_en == "Timber import"
    assert {"veterinary", "food", "fnao", "fishing", "waste_shipment"} <= set(chapters)


async def test_swedish_authorities_and_border_posts(db: Any) -> None:
    plant = await reference.list_authorities(db, country_code="SE", chapter_code="plant_health")
    names = {a.name for a in plant}
    assert "Jordbruksverket, Import- och exportkontrollenheten" in names
    posts = await reference.list_authorities(
        db, country_code="SE", authority_kind="border_control_post"
    )
    assert {"SEGOT", "SEHEL", "SEARN", "SEMMA"} <= {p.code for p in posts}
    assert any("Göteborg" in p.name for p in posts)


async def test_the_admin_command_extends_reference_data(db: Any) -> None:
    await load_reference_data(
        db,
        ReferenceData(
            chapters=[ChapterIn(code="cites", name_en="EU CITES", name_sv="EU CITES")],
            sections=[
                SectionIn(code="CITES", chapter_code="cites", name_en="CITES", name_sv="CITES")
            ],
            authorities=[
                AuthorityIn(
                    code="SE-NV",
                    name="Naturvårdsverket",
                    country_code="SE",
                    authority_kind="central",
                    chapters=["cites"],
                ),
                AuthorityIn(
                    code="SEGOT2",
                    name="Gränskontrollstation Göteborg hamn",
                    country_code="SE",
                    authority_kind="border_control_post",
                    parent_code="SE-SJV-IEK",
                ),
            ],
            organizations=[
                OrganizationIn(
                    code="SE-EKO-01",
                    kind="organic_control_body",
                    name="Kontrollorganet AB",
                    country_code="SE",
                    competent_authority_code="SE-SLV",
                )
            ],
        ),
    )
    cites = await reference.list_authorities(db, chapter_code="cites")
    assert [a.code for a in cites] == ["SE-NV"]
    bodies = await reference.list_joinable_organizations(db, kind="organic_control_body")
    assert [b.code for b in bodies] == ["SE-EKO-01"]


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_swedish_organisation_numbers_need_their_luhn_digit(body: str) -> None:
    number = "5" + body[1:] if body[0] == "0" else body
    number = number[:2] + str(max(2, int(number[2]))) + number[3:]
    check = luhn_check_digit(number)
    ok = normalize_identifier(kind=NATIONAL, value=number + check, country_code="SE", field="f")
    assert ok.value == number + check
    wrong = str((int(check) + 1) % 10)
    with pytest.raises(InvalidInputError):
        normalize_identifier(kind=NATIONAL, value=number + wrong, country_code="SE", field="f")


@pytest.mark.parametrize(
    ("kind", "value", "country", "compact"),
    [
        (NATIONAL, "556036-0793", "SE", "5560360793"),
        (IdentifierType.VAT, "SE 5560 3607 9301", "SE", "SE556036079301"),
        (IdentifierType.VAT, "EL094259216", "GR", "EL094259216"),
        (IdentifierType.EORI, "se5560360793", "SE", "SE5560360793"),
        (IdentifierType.EORI, "DE1234567", "DE", "DE1234567"),
        (NATIONAL, "HRB 12345", "DE", "HRB12345"),  # no national rule known: general format
    ],
)
def test_identifiers_are_normalised(
    kind: IdentifierType, value: str, country: str, compact: str
) -> None:
    # National numbers take the operator's country; VAT and EORI numbers carry their own.
    normalized = normalize_identifier(kind=kind, value=value, country_code=country, field="f")
    assert normalized.value == compact
    assert normalized.country_code == country


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (IdentifierType.VAT, "SE556036079302"),  # Swedish VAT numbers end in 01
        (IdentifierType.VAT, "556036079301"),  # no country prefix
        (IdentifierType.EORI, "SE5560360794"),  # the organisation number's check digit
        (IdentifierType.EORI, "5560360793"),
        (NATIONAL, "x" * 41),
    ],
)
def test_invalid_identifiers_are_refused(kind: IdentifierType, value: str) -> None:
    with pytest.raises(InvalidInputError):
        normalize_identifier(kind=kind, value=value, country_code="SE", field="f")
