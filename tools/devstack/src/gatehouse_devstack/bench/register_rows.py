"""The rows of a generated register of operators: realistic Swedish and European names, their
addresses, activities and identifiers, as COPY text for the registry's tables.

Names are unique within a country (as company registers require) and made of the words in
`names.py`: owners' names (Swedish ones in the genitive), trades, towns with their diacritics,
invented brand names, legal forms written the way each country writes them ("Sp. z o.o.",
"GmbH & Co. KG", "A/S"). Every operator has its main address, one or two activities and its
identifiers: Swedish operators an organisation number with a valid check digit, most a VAT
number (SE + number + 01) and some an EORI number (SE + number); others their country's formats.
The search columns are computed by the registry's own code (`gatehouse_registry.search.words`),
exactly as creating an operator does.
"""

from __future__ import annotations

import bisect
import collections
import functools
import itertools
import random
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gatehouse_devstack.bench.names import (
    BRAND_ENDS,
    BRAND_MIDDLES,
    BRAND_STARTS,
    COUNTRIES,
    REGIONS,
    Language,
)
from gatehouse_registry.search import words

VAT_PREFIX = {"GR": "EL"}
EU_VAT_DIGITS = {"DE": 9, "NL": 9, "ES": 8, "IT": 11, "PL": 10, "DK": 8, "FI": 8, "FR": 11}
NATIONAL_DIGITS = {"DE": 6, "NL": 8, "ES": 8, "IT": 11, "PL": 10, "DK": 8, "FI": 7, "FR": 9,
                   "NO": 9, "ZA": 10, "KE": 8, "CO": 9}  # fmt: skip
# (activity type, its section, share)
ACTIVITIES = (
    ("EUPO", "EUPO", 0.25), ("EURPO", "EURPO", 0.10), ("IMPORTER", "IMPORTER", 0.15),
    ("EXPORTER", "EXPORTER", 0.05), ("ORGANIC IMPORTER", "ORGANIC", 0.08),
    ("TIMBER IMPORT", "FLEGT", 0.05), ("FOOD IMPORTER", "FOOD", 0.08),
    ("FNAO IMPORTER", "FNAO", 0.06), ("QUA-CONF TRADER", "QUA-CONF", 0.06),
    ("RFL", "RFL", 0.06), ("TCPO", "TCPO", 0.03), ("FISHERY IMPORTER", "FISHING", 0.03),
)  # fmt: skip


@dataclass(frozen=True)
class Identifier:
    type: str
    country: str
    value: str


@dataclass(frozen=True)
class Operator:
    """What the benchmark needs to know about a generated operator to search for it."""

    id: uuid.UUID
    name: str
    country: str
    city: str
    activity_types: tuple[str, ...]
    sections: tuple[str, ...]
    identifiers: tuple[Identifier, ...]
    status: str


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _spread(number: int, digits: int) -> str:
    """A number of `digits` digits, different for every `number` below 10**digits, that does
    not look sequential (multiplied modulo a power of ten by a number prime to it)."""
    modulus = 10**digits
    return f"{(number * 982_451_653 + 7_654_321) % modulus:0{digits}d}"


def identifiers_of(
    number: int, country: str, legal_form: str, rng: random.Random
) -> list[Identifier]:
    if country == "SE":
        prefix = "96" if legal_form in {"HB", "KB", "Handelsbolag"} else "55"
        body = prefix + _spread(number, 7)
        orgnr = body + luhn_digit(body)
        found = [Identifier("national_registration_number", "SE", orgnr)]
        if rng.random() < 0.7:
            found.append(Identifier("vat", "SE", f"SE{orgnr}01"))
        if rng.random() < 0.4:
            found.append(Identifier("eori", "SE", f"SE{orgnr}"))
        return found
    national = _spread(number, NATIONAL_DIGITS[country])
    if country == "DE":
        national = "HRB" + national
    found = [Identifier("national_registration_number", country, national)]
    if country in EU_VAT_DIGITS and rng.random() < 0.6:
        vat = VAT_PREFIX.get(country, country) + _spread(number, EU_VAT_DIGITS[country])
        found.append(Identifier("vat", country, vat + ("B01" if country == "NL" else "")))
    if country in EU_VAT_DIGITS and rng.random() < 0.3:
        found.append(Identifier("eori", country, country + _spread(number, 12)))
    if country == "NO" and rng.random() < 0.6:
        found.append(Identifier("vat", "NO", f"NO{national}MVA"))
    return found


COLUMNS = {
    "organizations": ["id", "kind", "name", "country_code", "status", "competent_authority_id",
                      "search_words", "search_name", "search_name_sorted", "created_at"],
    "addresses": ["id", "organization_id", "position", "is_main", "street", "postal_code",
                  "city", "country_code"],
    "activities": ["id", "organization_id", "section_code", "activity_type_code",
                   "identification_code", "valid_from", "address_id", "authority_id", "status",
                   "created_at"],
    "identifiers": ["id", "organization_id", "type", "country_code", "value", "active"],
}  # fmt: skip
CREATED = datetime(2024, 1, 1, tzinfo=UTC)


def _text(value: str) -> str:
    """A value in PostgreSQL's COPY text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _uuid(kind: int, number: int) -> str:
    """The id of the `number`-th generated row of a kind (hex digits; PostgreSQL reads them)."""
    return f"{(kind << 122) | number:032x}"


@dataclass
class Chunk:
    """Generated rows as COPY text per table, the words of the operators, and a sample of them."""

    tables: dict[str, bytes]
    words: collections.Counter[str]
    sample: list[Operator]


class Generator:
    """A reproducible register: the same seed gives the same operators. Generated by `parts`
    processes at once, each taking every `parts`-th chunk and only the names whose checksum
    falls in its part, so names stay unique across them without talking to each other."""

    def __init__(self, seed: int, authority_id: uuid.UUID, part: int = 0, parts: int = 1) -> None:
        self.random = random.Random(seed * 1000 + part)  # noqa: S311  (reproducible test data)
        self.authority_id = authority_id.hex
        self.part = part
        self.parts = parts
        self.country_cumulative = list(itertools.accumulate(c[1] for c in COUNTRIES))
        self.activity_cumulative = list(itertools.accumulate(a[2] for a in ACTIVITIES))
        self.taken: set[str] = set()

    def _weighted(self, cumulative: list[float]) -> int:
        return bisect.bisect(cumulative, self.random.random() * cumulative[-1])

    @staticmethod
    @functools.cache
    def _legal_forms(language: Language) -> tuple[tuple[str, ...], list[float]]:
        forms, weights = zip(*language.legal_forms, strict=True)
        return forms, list(itertools.accumulate(weights))

    def brand(self) -> str:
        pick = self.random.choice
        middle = pick(BRAND_MIDDLES) if self.random.random() < 0.6 else ""
        return pick(BRAND_STARTS) + middle + pick(BRAND_ENDS)

    def name(self, language: Language, city: str) -> tuple[str, str]:
        """(name without its legal form, the legal form)."""
        pick = self.random.choice
        forms, cumulative = self._legal_forms(language)
        form = forms[self._weighted(cumulative)]
        owner = pick(language.surnames)
        trade = pick(language.trades)
        shape = self.random.random()
        if shape < 0.25:
            body = f"{self.brand()} {trade}"
        elif shape < 0.45:
            body = f"{owner}{language.genitive if not owner.endswith('s') else ''} {trade}"
        elif shape < 0.57:
            body = f"{trade} {owner}"
        elif shape < 0.67:
            body = f"{city} {trade} {language.conjunction} {pick(language.trades).lower()}"
        elif shape < 0.77:
            body = f"{pick(language.first_names)} {owner} {trade}"
        elif shape < 0.85:
            body = f"{owner} {language.conjunction} {pick(language.surnames)} {trade}"
        elif shape < 0.93:
            body = self.brand()
        else:
            body = f"{self.brand()} {trade} {pick(REGIONS)}"
        return body, form

    def unique_name(
        self, country: str, language: Language, city: str
    ) -> tuple[str, str, words.SearchEntry]:
        """(name, legal form, search entry) of a name of this part not yet taken in the
        country (as company registers require)."""
        for attempt in itertools.count():
            body, form = self.name(language, city)
            if attempt > 5:  # a crowded shape: a second brand makes it unique
                body = f"{self.brand()} {body}"
            # The legal form is no part of the name key: the body's key is the name's.
            key = f"{country} {words.name_key(body)}"
            if zlib.crc32(key.encode()) % self.parts == self.part and key not in self.taken:
                self.taken.add(key)
                name = f"{body} {form}"
                return name, form, words.search_entry(name, city)
        raise AssertionError("unreachable")

    def chunk(self, start: int, count: int, sample_every: int) -> Chunk:
        lines: dict[str, list[str]] = {table: [] for table in COLUMNS}
        found_words: collections.Counter[str] = collections.Counter()
        sample = []
        for number in range(start, start + count):
            operator_id = _uuid(1, number)
            country, _, language, cities = COUNTRIES[self._weighted(self.country_cumulative)]
            city = self.random.choice(cities)
            name, form, entry = self.unique_name(country, language, city)
            street = f"{self.random.choice(language.streets)} {self.random.randint(1, 180)}"
            postal = f"{self.random.randint(10000, 99999)}"
            roll = self.random.random()
            status = "valid" if roll < 0.9 else ("pending" if roll < 0.98 else "rejected")
            found_words.update(entry.words)
            created = (CREATED + timedelta(seconds=number)).isoformat()
            array = "{" + ",".join(f'"{w}"' for w in entry.words) + "}"
            lines["organizations"].append(
                f"{operator_id}\toperator\t{_text(name)}\t{country}\t{status}\t"
                f"{self.authority_id}\t{array}\t{entry.name_key}\t{entry.word_set_key}\t"
                f"{created}\n"
            )
            address_id = _uuid(2, number)
            lines["addresses"].append(
                f"{address_id}\t{operator_id}\t0\tt\t{_text(street)}\t{postal}\t{_text(city)}\t"
                f"{country}\n"
            )
            kinds = 1 if self.random.random() < 0.7 else 2
            picked = sorted({self._weighted(self.activity_cumulative) for _ in range(kinds)})
            activity_status = "valid" if status == "valid" else "pending"
            for index, which in enumerate(picked):
                activity_type, section, _ = ACTIVITIES[which]
                lines["activities"].append(
                    f"{_uuid(3, (number << 2) | index)}\t{operator_id}\t{section}\t"
                    f"{activity_type}\t{country}{number:09d}\t2024-01-01\t{address_id}\t"
                    f"{self.authority_id}\t{activity_status}\t{created}\n"
                )
            identifiers = identifiers_of(number, country, form, self.random)
            active = "f" if status == "rejected" else "t"
            for index, identifier in enumerate(identifiers):
                lines["identifiers"].append(
                    f"{_uuid(4, (number << 2) | index)}\t{operator_id}\t{identifier.type}\t"
                    f"{identifier.country}\t{identifier.value}\t{active}\n"
                )
            if number % sample_every == 0:
                sample.append(
                    Operator(
                        uuid.UUID(operator_id),
                        name,
                        country,
                        city,
                        tuple(ACTIVITIES[w][0] for w in picked),
                        tuple(ACTIVITIES[w][1] for w in picked),
                        tuple(identifiers),
                        status,
                    )
                )
        tables = {table: "".join(rows).encode() for table, rows in lines.items()}
        return Chunk(tables, found_words, sample)
