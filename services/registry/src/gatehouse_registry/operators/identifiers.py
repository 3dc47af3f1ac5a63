"""Operator identifiers: national registration number, VAT number and EORI number.

Each is checked by the rule of its country where one is known (python-stdnum implements them,
e.g. the Swedish organisation number's Luhn check digit, every EU VAT number's checksum) and by a
general format otherwise, then stored in its compact form so that "556036-0793" and "5560360793"
are recognised as the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr as se_orgnr

from gatehouse_registry.errors import RequiredError, TooLongError
from gatehouse_registry.operators.errors import InvalidIdentifierError


class IdentifierType(StrEnum):
    NATIONAL_REGISTRATION_NUMBER = "national_registration_number"
    VAT = "vat"
    EORI = "eori"


# stdnum's module for a country's company (not personal) registration number, where it has one.
NATIONAL_NUMBER_MODULES = {
    "AT": "businessid",
    "DK": "cvr",
    "EE": "registrikood",
    "ES": "cif",
    "FI": "ytunnus",
    "FR": "siren",
    "IS": "kennitala",
    "NO": "orgnr",
    "PL": "regon",
    "SE": "orgnr",
    "SI": "maticna",
}
# VAT numbers start with their country's prefix; Greece uses EL rather than its ISO code and
# Northern Ireland's traders use XI.
VAT_PREFIX_TO_COUNTRY = {"EL": "GR", "XI": "GB"}
GENERIC_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9./ -]{1,39}$")
EORI_FORMAT = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
SEPARATORS = re.compile(r"[\s./-]")
MAX_LENGTH = 40


@dataclass(frozen=True)
class Identifier:
    type: IdentifierType
    country_code: str
    value: str


def _country_module(country_code: str, name: str) -> Any:
    """stdnum's module for the country, or None (its stubs type modules loosely)."""
    try:
        return get_cc_module(country_code.lower(), name)
    except ImportError:
        return None


def normalize_identifier(
    *, kind: IdentifierType, value: str, country_code: str, field: str
) -> Identifier:
    """Check `value` for its type and country and return it in compact form, or raise
    InvalidIdentifierError naming `field`. `country_code` is the operator's country, used for
    national numbers; VAT and EORI numbers carry their own country prefix."""
    text = value.strip().upper()
    if not text:
        raise RequiredError(field=field)
    if len(text) > MAX_LENGTH:
        raise TooLongError(field=field, max_length=MAX_LENGTH)
    if kind is IdentifierType.NATIONAL_REGISTRATION_NUMBER:
        return _national_number(text, country_code, field)
    if kind is IdentifierType.VAT:
        return _vat_number(text, field)
    return _eori_number(text, field)


def _national_number(text: str, country_code: str, field: str) -> Identifier:
    module_name = NATIONAL_NUMBER_MODULES.get(country_code)
    module = _country_module(country_code, module_name) if module_name else None
    if module is None:
        if not GENERIC_NUMBER.match(text):
            raise InvalidIdentifierError(
                "a national registration number has letters and digits only", field=field
            )
        return Identifier(
            IdentifierType.NATIONAL_REGISTRATION_NUMBER, country_code, SEPARATORS.sub("", text)
        )
    try:
        compact = str(module.validate(text))
    except ValidationError as error:
        raise InvalidIdentifierError(
            f"not a valid national registration number for {country_code}: {error}", field=field
        ) from error
    return Identifier(IdentifierType.NATIONAL_REGISTRATION_NUMBER, country_code, compact)


def _vat_number(text: str, field: str) -> Identifier:
    compact = SEPARATORS.sub("", text)
    prefix = compact[:2]
    if not prefix.isalpha():
        raise InvalidIdentifierError(
            "a VAT number starts with its country prefix, e.g. SE556036079301", field=field
        )
    country = VAT_PREFIX_TO_COUNTRY.get(prefix, prefix)
    if prefix.lower() in eu_vat.MEMBER_STATES or prefix == "EL":
        try:
            compact = str(eu_vat.validate(compact))
        except ValidationError as error:
            raise InvalidIdentifierError(f"not a valid VAT number: {error}", field=field) from error
        return Identifier(IdentifierType.VAT, country, compact)
    module = _country_module(country, "vat")
    if module is not None:
        try:
            # Non-EU modules (e.g. NO, GB, CH) take the number with or without the prefix.
            module.validate(compact)
        except ValidationError as error:
            raise InvalidIdentifierError(f"not a valid VAT number: {error}", field=field) from error
    elif not GENERIC_NUMBER.match(compact):
        raise InvalidIdentifierError("a VAT number has letters and digits only", field=field)
    return Identifier(IdentifierType.VAT, country, compact)


def _eori_number(text: str, field: str) -> Identifier:
    compact = SEPARATORS.sub("", text)
    if not EORI_FORMAT.match(compact):
        raise InvalidIdentifierError(
            "an EORI number is a country code and up to 15 letters or digits, e.g. SE5560360793",
            field=field,
        )
    country = compact[:2]
    if country == "SE":
        # A Swedish EORI number is SE followed by the organisation number.
        try:
            se_orgnr.validate(compact[2:])
        except ValidationError as error:
            raise InvalidIdentifierError(
                "a Swedish EORI number is SE followed by a valid organisation number",
                field=field,
            ) from error
    return Identifier(IdentifierType.EORI, country, compact)
