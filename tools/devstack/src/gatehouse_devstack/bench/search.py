"""Operator search over a generated register of a million operators, the registry alone on the
measured core (PostgreSQL, which does most of the work, and the client on the other).

The operators are written straight into the registry's database with COPY, following its schema
(organizations, their main address, one or two activities); indexes that back no constraint are
dropped for the load and built again afterwards with their own definitions, then the tables are
vacuumed and analysed, as after any bulk load. Searches go through the registry's JSON API
(`GET /api/v1/operators?q=&country=&activity_type=`) as a signed-in multi-factor user: the
session row is written the way the registry writes it after an OIDC sign-in.

Each query is free text with a typo (two letters swapped, as in "Gotebrog") taken from a real
operator's name and city, plus that operator's country and one of its activity types; the
benchmark also counts how often that operator is on the first page.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import hashlib
import itertools
import random
import secrets
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from gatehouse_devstack.bench.harness import Bench, CpuMeter, Samples
from gatehouse_devstack.bench.report import Result

CHUNK = 50_000
BUSINESS = (
    "Frukt", "Grönt", "Blommor", "Trävaror", "Import", "Handel", "Export", "Livs", "Växter",
    "Plantskola", "Trädgård", "Agro", "Fisk", "Kaffe", "Kryddor", "Spannmål", "Bär", "Svamp",
    "Timber", "Fruit", "Produce", "Flowers", "Seeds", "Nursery", "Organic", "Foods", "Trading",
    "Logistik", "Frakt", "Bageri", "Mejeri", "Potatis", "Citrus", "Tropik", "Oliv", "Vin",
    "Kakao", "Nötter", "Honung", "Te",
)  # fmt: skip
NAME_START = (
    "Berg", "Lind", "Sjö", "Ek", "Hol", "Ny", "Sand", "Dahl", "Fors", "Håkans", "Ås", "Björk",
    "Gran", "Löv", "Ström", "Norr", "Söder", "Väst", "Öst", "Alm", "Ask", "Lund", "Hed", "Kvarn",
    "Mal", "Ros", "Sten", "Öh", "Wall", "Eng", "Fager", "Hag", "Karl", "Lars", "Pers", "Nils",
    "Jons", "Svens", "Anders", "Mattss",
)  # fmt: skip
NAME_END = (
    "ström", "qvist", "berg", "gren", "holm", "lund", "dahl", "man", "son", "ér", "blad",
    "stedt", "fors", "vall", "bäck", "kvist", "ling", "mark", "näs", "by",
)  # fmt: skip
SUFFIX = ("AB", "HB", "Handelsbolag", "GmbH", "BV", "Oy", "A/S", "SRL", "S.L.", "Sp. z o.o.")
STREETS = (
    "Storgatan",
    "Hamngatan",
    "Industrivägen",
    "Kungsgatan",
    "Järnvägsgatan",
    "Parkvägen",
    "Hauptstraße",
    "Havenweg",
    "Calle Mayor",
    "Via Roma",
    "Rue du Port",
    "Satamakatu",
)
# Countries by share of the register, with cities (Swedish importers see mostly SE, EU and
# the big exporting third countries).
COUNTRIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("SE", 0.30, ("Göteborg", "Malmö", "Stockholm", "Umeå", "Växjö", "Örebro", "Luleå",
                  "Helsingborg", "Jönköping", "Västerås", "Norrköping", "Gävle")),
    ("DE", 0.12, ("Hamburg", "Bremen", "München", "Köln", "Düsseldorf")),
    ("NL", 0.10, ("Rotterdam", "Amsterdam", "Venlo", "Aalsmeer")),
    ("ES", 0.08, ("Valencia", "Almería", "Murcia", "Sevilla")),
    ("IT", 0.07, ("Verona", "Milano", "Bari", "Catania")),
    ("PL", 0.06, ("Gdańsk", "Poznań", "Warszawa")),
    ("DK", 0.05, ("København", "Aarhus", "Odense")),
    ("FI", 0.05, ("Helsinki", "Turku", "Tampere")),
    ("FR", 0.05, ("Marseille", "Lyon", "Rungis")),
    ("NO", 0.04, ("Oslo", "Bergen", "Drammen")),
    ("ZA", 0.03, ("Cape Town", "Durban")),
    ("KE", 0.03, ("Nairobi", "Mombasa")),
    ("CO", 0.02, ("Bogotá", "Medellín")),
)  # fmt: skip
# (activity type, its section, share)
ACTIVITIES = (
    ("EUPO", "EUPO", 0.25), ("EURPO", "EURPO", 0.10), ("IMPORTER", "IMPORTER", 0.15),
    ("EXPORTER", "EXPORTER", 0.05), ("ORGANIC IMPORTER", "ORGANIC", 0.08),
    ("TIMBER IMPORT", "FLEGT", 0.05), ("FOOD IMPORTER", "FOOD", 0.08),
    ("FNAO IMPORTER", "FNAO", 0.06), ("QUA-CONF TRADER", "QUA-CONF", 0.06),
    ("RFL", "RFL", 0.06), ("TCPO", "TCPO", 0.03), ("FISHERY IMPORTER", "FISHING", 0.03),
)  # fmt: skip


# Letters unaccent rewrites that Unicode does not decompose.
UNACCENT_EXTRA = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l"})


@functools.cache
def _fold_unicode(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.translate(UNACCENT_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold(text: str) -> str:
    """registry_fold (lower(unaccent(...))) for the letters generated here, a word at a time
    (few words have accents, and they repeat); checked against the database's own function
    after the load."""
    return " ".join(w.lower() if w.isascii() else _fold_unicode(w) for w in text.split(" "))


@dataclass(frozen=True)
class Operator:
    id: uuid.UUID
    name: str
    country: str
    city: str
    activity_types: tuple[str, ...]


# Rows for organizations, addresses and activities, and the operators they make.
Chunk = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[Operator]]


class Generator:
    """A reproducible register: the same seed gives the same operators."""

    def __init__(self, seed: int, authority_id: uuid.UUID) -> None:
        self.random = random.Random(seed)  # noqa: S311  (test data, reproducible on purpose)
        self.authority_id = authority_id
        self.countries = [code for code, _, _ in COUNTRIES]
        self.country_cumulative = list(itertools.accumulate(share for _, share, _ in COUNTRIES))
        self.cities = {code: cities for code, _, cities in COUNTRIES}
        self.activity_cumulative = list(itertools.accumulate(share for _, _, share in ACTIVITIES))

    def _weighted(self, cumulative: list[float]) -> int:
        return bisect.bisect(cumulative, self.random.random() * cumulative[-1])

    def name(self, city: str) -> str:
        pick = self.random.choice
        surname = pick(NAME_START) + pick(NAME_END)
        shape = self.random.random()
        if shape < 0.4:
            return f"{pick(BUSINESS)} {surname} {pick(SUFFIX)}"
        if shape < 0.7:
            return f"{surname}s {pick(BUSINESS)} {pick(SUFFIX)}"
        if shape < 0.9:
            return f"{city} {pick(BUSINESS)} {pick(BUSINESS).lower()} {pick(SUFFIX)}"
        return f"{surname} & {pick(NAME_START)}{pick(NAME_END)} {pick(BUSINESS)} {pick(SUFFIX)}"

    def chunk(self, start: int, count: int) -> Chunk:
        organizations: list[tuple[Any, ...]] = []
        addresses: list[tuple[Any, ...]] = []
        activities: list[tuple[Any, ...]] = []
        operators: list[Operator] = []
        created = datetime(2024, 1, 1, tzinfo=UTC)
        for number in range(start, start + count):
            operator_id = uuid.UUID(int=(1 << 122) | number)
            country = self.countries[self._weighted(self.country_cumulative)]
            city = self.random.choice(self.cities[country])
            name = self.name(city)
            street = f"{self.random.choice(STREETS)} {self.random.randint(1, 180)}"
            postal = f"{self.random.randint(10000, 99999)}"
            roll = self.random.random()
            status = "valid" if roll < 0.9 else ("pending" if roll < 0.98 else "rejected")
            search_text = fold(" ".join((name, street, postal, city)))
            organizations.append(
                (operator_id, "operator", name, country, status, self.authority_id, search_text,
                 created + timedelta(seconds=number))
            )  # fmt: skip
            address_id = uuid.UUID(int=(2 << 122) | number)
            addresses.append((address_id, operator_id, 0, True, street, postal, city, country))
            kinds = 1 if self.random.random() < 0.7 else 2
            picked = {self._weighted(self.activity_cumulative) for _ in range(kinds)}
            types = []
            for index, which in enumerate(sorted(picked)):
                activity_type, section, _ = ACTIVITIES[which]
                types.append(activity_type)
                activities.append(
                    (uuid.UUID(int=(3 << 122) | (number << 2) | index), operator_id, section,
                     activity_type, f"{country}{number:09d}", date(2024, 1, 1), address_id,
                     self.authority_id, "valid" if status == "valid" else "pending",
                     created + timedelta(seconds=number))
                )  # fmt: skip
            operators.append(Operator(operator_id, name, country, city, tuple(types)))
        return organizations, addresses, activities, operators


ORGANIZATION_COLUMNS = [
    "id", "kind", "name", "country_code", "status", "competent_authority_id", "search_text",
    "created_at",
]  # fmt: skip
ADDRESS_COLUMNS = [
    "id", "organization_id", "position", "is_main", "street", "postal_code", "city",
    "country_code",
]  # fmt: skip
ACTIVITY_COLUMNS = [
    "id", "organization_id", "section_code", "activity_type_code", "identification_code",
    "valid_from", "address_id", "authority_id", "status", "created_at",
]  # fmt: skip
TABLES = ("organizations", "addresses", "activities")


async def _droppable_indexes(connection: asyncpg.Connection) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of TABLES that back no constraint."""
    rows = await connection.fetch(
        """SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
             FROM pg_index i
            WHERE i.indrelid = ANY($1::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        list(TABLES),
    )
    return [(row["name"], row["definition"]) for row in rows]


async def generate(
    bench: Bench, count: int, *, seed: int = 2025
) -> tuple[list[Operator], dict[str, Any]]:
    """Write `count` operators; returns a sample of them (for queries) and timings."""
    timings: dict[str, Any] = {}
    connection = await asyncpg.connect(bench.stack.database_urls["registry"], timeout=30)
    try:
        authority_id = await connection.fetchval(
            "SELECT id FROM organizations WHERE kind = 'authority' ORDER BY code NULLS LAST LIMIT 1"
        )
        if authority_id is None:
            raise RuntimeError("the registry has no competent authority to refer operators to")
        await connection.execute("SET maintenance_work_mem = '1GB'")
        try:  # foreign keys were checked by construction; superusers may skip the triggers
            await connection.execute("SET session_replication_role = replica")
            timings["foreign_key_triggers"] = "skipped during load"
        except asyncpg.InsufficientPrivilegeError:
            timings["foreign_key_triggers"] = "checked during load"
        indexes = await _droppable_indexes(connection)
        started = time.perf_counter()
        for name, _ in indexes:
            await connection.execute(f"DROP INDEX {name}")
        generator = Generator(seed, authority_id)
        sample: list[Operator] = []
        loop = asyncio.get_running_loop()
        starts = list(range(0, count, CHUNK))
        # The next chunk is made (in a thread) while PostgreSQL takes the previous one.
        upcoming = loop.run_in_executor(None, generator.chunk, 0, min(CHUNK, count))
        for index in range(len(starts)):
            organizations, addresses, activities, operators = await upcoming
            if index + 1 < len(starts):
                start = starts[index + 1]
                upcoming = loop.run_in_executor(
                    None, generator.chunk, start, min(CHUNK, count - start)
                )
            await connection.copy_records_to_table(
                "organizations", records=organizations, columns=ORGANIZATION_COLUMNS
            )
            await connection.copy_records_to_table(
                "addresses", records=addresses, columns=ADDRESS_COLUMNS
            )
            await connection.copy_records_to_table(
                "activities", records=activities, columns=ACTIVITY_COLUMNS
            )
            sample.extend(operators[:: max(1, len(operators) // 200)])
        timings["copy_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        for _, definition in indexes:
            await connection.execute(definition, timeout=1800)
        timings["indexes_s"] = round(time.perf_counter() - started, 1)
        timings["indexes_rebuilt"] = [name for name, _ in indexes]
        await connection.execute("RESET session_replication_role")
        started = time.perf_counter()
        for table in TABLES:
            await connection.execute(f"VACUUM (ANALYZE) {table}", timeout=1800)
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
        mismatched = await connection.fetchval(
            """SELECT count(*) FROM (SELECT o.search_text,
                      registry_fold(o.name || ' ' || a.street || ' ' || a.postal_code || ' '
                                    || a.city) AS expected
                 FROM organizations o JOIN addresses a ON a.organization_id = o.id AND a.is_main
                WHERE o.kind = 'operator' LIMIT 2000) s WHERE search_text <> expected"""
        )
        if mismatched:
            raise RuntimeError(f"{mismatched} generated search texts differ from registry_fold")
        total = await connection.fetchval(
            "SELECT count(*) FROM organizations WHERE kind = 'operator'"
        )
    finally:
        await connection.close()
    timings["operators_in_register"] = total
    return sample, timings


def with_typo(word: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped inside the word ("Göteborg" → "Götebrog")."""
    if len(word) < 5:
        return word
    at = rng.randint(2, len(word) - 3)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def queries(
    sample: list[Operator], count: int, seed: int = 7
) -> list[tuple[Operator, dict[str, str]]]:
    """Searches for operators of the sample as a user would type them: two words of the name,
    the longer with a typo, plus the operator's country and one of its activity types."""
    rng = random.Random(seed)  # noqa: S311  (reproducible test queries)
    chosen = []
    for operator in rng.sample(sample, min(count, len(sample))):
        words = [w for w in operator.name.split() if len(w) >= 4 and w.isalpha()]
        words = [w for w in words if w not in SUFFIX][:2]
        if not words:
            continue
        longest = max(words, key=len)
        text = " ".join(with_typo(w, rng) if w == longest else w for w in words)
        params = {
            "q": text,
            "country": operator.country,
            "activity_type": rng.choice(operator.activity_types),
        }
        chosen.append((operator, params))
    return chosen


async def registry_session(bench: Bench) -> tuple[str, str]:
    """A multi-factor registry session: (cookie name, value)."""
    from gatehouse_registry.settings import RegistryAuthSettings  # noqa: PLC0415

    cookie = RegistryAuthSettings.model_fields["session_cookie_name"].default
    token = secrets.token_urlsafe(32)
    connection = await asyncpg.connect(bench.stack.database_urls["registry"])
    try:
        await connection.execute(
            """INSERT INTO auth_sessions (id_hash, user_id, full_name, email, level, amr,
                                          identity_sid, id_token, expires_at)
               VALUES ($1, $2, 'Bench Searcher', 'bench-search@example.se', 'multi_factor',
                       ARRAY['pwd', 'otp', 'mfa'], NULL, '', now() + interval '2 hours')""",
            hashlib.sha256(token.encode()).digest(),
            uuid.uuid4(),
        )
    finally:
        await connection.close()
    return cookie, token


async def _search(
    bench: Bench, planned: list[tuple[Operator, dict[str, str]]]
) -> tuple[Samples, int, int]:
    cookie, token = await registry_session(bench)
    samples = Samples()
    found = 0
    warmup = min(10, len(planned) // 5)
    headers = {"Cookie": f"{cookie}={token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=bench.stack.registry_url, timeout=60) as client:
        deadline = time.perf_counter() + bench.sizes.search_max_s
        for index, (operator, params) in enumerate(planned):
            if time.perf_counter() > deadline and len(samples.latencies) >= 20:
                break
            begin = time.perf_counter()
            response = await client.get("/api/v1/operators", params=params, headers=headers)
            elapsed = time.perf_counter() - begin
            client.cookies.clear()
            if response.status_code != 200:
                samples.failed(f"{response.status_code} {response.text[:200]}")
                if index == 0:
                    raise RuntimeError(
                        f"search answered {response.status_code}: {response.text[:200]}"
                    )
                continue
            if index < warmup:
                continue
            samples.ok(elapsed)
            samples.completed += 1
            if any(item["id"] == str(operator.id) for item in response.json()["items"]):
                found += 1
    return samples, found, warmup


def operator_search(bench: Bench) -> Result:
    sizes = bench.sizes
    started = time.perf_counter()
    sample, timings = asyncio.run(generate(bench, sizes.operators))
    timings["generate_s"] = round(time.perf_counter() - started, 1)
    planned = queries(sample, sizes.search_queries + 10)
    placement = bench.place("registry")
    meter = CpuMeter(bench.stack)
    meter.start()
    samples, found, warmup = asyncio.run(_search(bench, planned))
    meter.stop()
    measured = len(samples.latencies)
    if not measured:
        raise RuntimeError(f"no search succeeded: {samples.first_error}")
    return Result(
        "operator_search",
        {
            "operators": float(timings["operators_in_register"]),
            "p50_ms": samples.p(0.5),
            "p95_ms": samples.p(0.95),
        },
        details={
            "via": "registry JSON API GET /api/v1/operators, one client, one query at a time",
            "queries": measured,
            "warmup_queries": warmup,
            "example_query": planned[-1][1] if planned else {},
            "target_on_first_page": f"{found}/{measured}",
            "cpu_ms_per_query": meter.per_operation_ms(measured + warmup),
            "p99_ms": round(samples.p(0.99), 1),
            "max_ms": round(max(samples.latencies, default=0) * 1000, 1),
            "errors": samples.errors,
            "first_error": samples.first_error,
            **timings,
            "placement": placement,
        },
    )
