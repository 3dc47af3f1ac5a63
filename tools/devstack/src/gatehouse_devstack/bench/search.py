"""Operator search over a generated register (`register.py`) of 100,000 and then 1,000,000
operators: latency at both sizes, and recall at the full size.

Searches go through the registry's JSON API (`GET /api/v1/operators?q=&country=&section=
&activity_type=`) as a signed-in multi-factor user, one at a time, the registry alone on the
measured core (PostgreSQL, which does most of the work, and this client on the other). The
session row is written the way the registry writes it after an OIDC sign-in.

Queries are made from operators of the register (seeded, reproducible), the way people type:

- the exact name; one edit (a letter inserted, dropped, replaced, or two neighbours swapped) in
  one word; one edit in each word; two edits in a long word (9 letters or more); the name
  without its legal form; two words swapped; the name cut short in its last word, as while
  typing; the organisation number with and without dash; the VAT number.

*Latency* mixes three shapes of search: text alone, text with the operator's country (and
sometimes one of its activity types), and filters alone (a country, with a section or an
activity type). *Recall@10* is the share of text queries whose operator is among the first ten
hits; for identifiers, *recall@1*: the operator must come first.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import random
import secrets
import string
import time
import uuid
from dataclasses import dataclass

import asyncpg
import httpx

from gatehouse_devstack.bench.harness import Bench, CpuMeter, Samples
from gatehouse_devstack.bench.register import Register
from gatehouse_devstack.bench.register_rows import Operator
from gatehouse_devstack.bench.report import Result
from gatehouse_registry.search import words

SMALL_REGISTER = 100_000
LETTERS = string.ascii_lowercase + "åäö"
# Query kinds, and the recall figure each counts in.
TYPO_KINDS = ("one_edit_one_word", "one_edit_each_word")
IDENTIFIER_KINDS = ("orgnr_dash", "orgnr", "vat")
KINDS = (
    "exact", *TYPO_KINDS, "two_edits_long_word", "no_legal_form", "swapped", "prefix",
    *IDENTIFIER_KINDS,
)  # fmt: skip


@dataclass(frozen=True)
class Search:
    kind: str
    params: dict[str, str]
    operator: Operator | None  # the operator meant (None for filters alone)


def edit(word: str, rng: random.Random) -> str:
    """One edit inside `word` (not its first letter, which people rarely get wrong): a letter
    inserted, dropped or replaced, or two neighbours swapped; never the word itself."""
    while True:
        at = rng.randint(1, len(word) - 1)
        how = rng.randrange(4)
        if how == 0:
            changed = word[:at] + rng.choice(LETTERS) + word[at:]
        elif how == 1:
            changed = word[:at] + word[at + 1 :]
        elif how == 2:
            changed = word[:at] + rng.choice(LETTERS) + word[at + 1 :]
        elif at < len(word) - 1:
            changed = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            continue
        if words.fold(changed) != words.fold(word):
            return changed


def _name_parts(name: str) -> tuple[list[str], list[int]]:
    """The name's space-separated words, and the positions of those that are plain words of
    at least 4 letters (not legal forms): where a typo is forgiven."""
    parts = name.split()
    editable = [
        i
        for i, part in enumerate(parts)
        if part.isalpha() and len(part) >= 4 and part.lower() not in words.LEGAL_FORMS
    ]
    return parts, editable


def _legal_form_start(name: str) -> int:
    """Where the legal form at the end of a generated name begins (its words' index)."""
    parts = name.split()
    for start in range(len(parts)):
        tail = " ".join(parts[start:])
        found = words.name_words(tail)
        if found and all(word.legal_form for word in found):
            return start
    return len(parts)


def _exact(name: str, _parts: list[str], _editable: list[int], _rng: random.Random) -> str:
    return name


def _one_edit_one_word(
    _name: str, parts: list[str], editable: list[int], rng: random.Random
) -> str | None:
    if not editable:
        return None
    at = rng.choice(editable)
    return " ".join(edit(p, rng) if i == at else p for i, p in enumerate(parts))


def _one_edit_each_word(
    _name: str, parts: list[str], editable: list[int], rng: random.Random
) -> str | None:
    if not editable:
        return None
    return " ".join(edit(p, rng) if i in editable else p for i, p in enumerate(parts))


def _two_edits_long_word(
    _name: str, parts: list[str], editable: list[int], rng: random.Random
) -> str | None:
    long = [i for i in editable if len(parts[i]) >= 9]
    if not long:
        return None
    at = rng.choice(long)
    twice = edit(edit(parts[at], rng), rng)
    return " ".join(twice if i == at else p for i, p in enumerate(parts))


def _no_legal_form(name: str, parts: list[str], _e: list[int], _r: random.Random) -> str | None:
    return " ".join(parts[: _legal_form_start(name)]) or None


def _swapped(name: str, parts: list[str], _e: list[int], rng: random.Random) -> str | None:
    body = parts[: _legal_form_start(name)]
    if len(body) < 2:
        return None
    first, second = rng.sample(range(len(body)), 2)
    body[first], body[second] = body[second], body[first]
    return " ".join(body)


def _prefix(name: str, parts: list[str], _e: list[int], rng: random.Random) -> str | None:
    body = parts[: _legal_form_start(name)]
    last = body[-1]
    if len(last) < 4:
        return None
    return " ".join([*body[:-1], last[: rng.randint(3, len(last) - 1)]])


TEXT_KINDS = {
    "exact": _exact,
    "one_edit_one_word": _one_edit_one_word,
    "one_edit_each_word": _one_edit_each_word,
    "two_edits_long_word": _two_edits_long_word,
    "no_legal_form": _no_legal_form,
    "swapped": _swapped,
    "prefix": _prefix,
}


def text_for(kind: str, operator: Operator, rng: random.Random) -> str | None:
    """What a user looking for `operator` types, for one kind of query (None when the kind does
    not apply to it, e.g. no long word)."""
    if kind in IDENTIFIER_KINDS:
        return _identifier_text(kind, operator)
    parts, editable = _name_parts(operator.name)
    return TEXT_KINDS[kind](operator.name, parts, editable, rng)


def _identifier_text(kind: str, operator: Operator) -> str | None:
    by_type = {identifier.type: identifier.value for identifier in operator.identifiers}
    if kind in {"orgnr_dash", "orgnr"} and operator.country == "SE":
        number = by_type["national_registration_number"]
        return f"{number[:6]}-{number[6:]}" if kind == "orgnr_dash" else number
    if kind == "vat":
        return by_type.get("vat")
    return None


def recall_queries(sample: list[Operator], per_kind: int, seed: int = 11) -> list[Search]:
    """`per_kind` queries of every kind, each for a different operator of the sample (seeded)."""
    rng = random.Random(seed)  # noqa: S311  (reproducible test queries)
    searchable = [operator for operator in sample if operator.status != "rejected"]
    found = []
    for kind in KINDS:
        made = 0
        for operator in rng.sample(searchable, len(searchable)):
            text = text_for(kind, operator, rng)
            if text is None:
                continue
            found.append(Search(kind, {"q": text}, operator))
            made += 1
            if made == per_kind:
                break
    return found


def latency_queries(sample: list[Operator], count: int, seed: int = 7) -> list[Search]:
    """The mixed set: 40 % text alone, 40 % text with the operator's country (half of those
    also with one of its activity types), 20 % filters alone."""
    rng = random.Random(seed)  # noqa: S311  (reproducible test queries)
    searchable = [operator for operator in sample if operator.status != "rejected"]
    found: list[Search] = []
    while len(found) < count:
        operator = rng.choice(searchable)
        shape = rng.random()
        if shape < 0.2:
            params = {"country": operator.country}
            if rng.random() < 0.5:
                params["section"] = rng.choice(operator.sections)
            else:
                params["activity_type"] = rng.choice(operator.activity_types)
            found.append(Search("filters", params, None))
            continue
        kind = rng.choice(KINDS)
        text = text_for(kind, operator, rng)
        if text is None:
            continue
        params = {"q": text}
        if shape >= 0.6:
            params["country"] = operator.country
            if shape >= 0.8:
                params["activity_type"] = rng.choice(operator.activity_types)
        found.append(Search(kind, params, operator))
    return found


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


@dataclass
class Run:
    samples: Samples
    # Per query: the ids of the hits, in order (None when the search failed).
    hits: list[list[str] | None]


async def _search(bench: Bench, planned: list[Search], *, warmup: int, budget_s: float) -> Run:
    cookie, token = await registry_session(bench)
    samples = Samples()
    hits: list[list[str] | None] = []
    headers = {"Cookie": f"{cookie}={token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=bench.stack.registry_url, timeout=60) as client:
        deadline = time.perf_counter() + budget_s
        for index, search in enumerate(planned):
            if time.perf_counter() > deadline and len(samples.latencies) >= 20:
                break
            begin = time.perf_counter()
            response = await client.get(
                "/api/v1/operators", params={**search.params, "page_size": "10"}, headers=headers
            )
            elapsed = time.perf_counter() - begin
            client.cookies.clear()
            if response.status_code != 200:
                samples.failed(f"{response.status_code} {search.params} {response.text[:200]}")
                if index == 0:
                    raise RuntimeError(
                        f"search answered {response.status_code}: {response.text[:200]}"
                    )
                hits.append(None)
                continue
            hits.append([item["id"] for item in response.json()["items"]])
            if index < warmup:
                continue
            samples.ok(elapsed)
            samples.completed += 1
    return Run(samples, hits)


def _latency(bench: Bench, register: Register, size: int) -> Result:
    started = time.perf_counter()
    timings = asyncio.run(register.grow(size))
    timings["generate_s"] = round(time.perf_counter() - started, 1)
    warmup = 20
    planned = latency_queries(register.sample, bench.sizes.search_queries + warmup)
    placement = bench.place("registry")
    meter = CpuMeter(bench.stack)
    meter.start()
    try:
        run = asyncio.run(_search(bench, planned, warmup=warmup, budget_s=bench.sizes.search_max_s))
    finally:
        meter.stop()
        bench.unplace()
    measured = len(run.samples.latencies)
    if not measured:
        raise RuntimeError(f"no search succeeded: {run.samples.first_error}")
    shapes = collections.Counter(
        "filters"
        if search.operator is None
        else ("text+filters" if len(search.params) > 1 else "text")
        for search in planned[warmup : warmup + measured]
    )
    return Result(
        "operator_search",
        {
            "operators": float(timings["operators_in_register"]),
            "p50_ms": run.samples.p(0.5),
            "p95_ms": run.samples.p(0.95),
        },
        details={
            "via": "registry JSON API GET /api/v1/operators, one client, one query at a time",
            "queries": measured,
            "warmup_queries": warmup,
            "shapes": dict(shapes),
            "example_queries": [s.params for s in planned[-5:]],
            "cpu_ms_per_query": meter.per_operation_ms(len(run.hits)),
            "p99_ms": round(run.samples.p(0.99), 1),
            "max_ms": round(max(run.samples.latencies, default=0) * 1000, 1),
            "errors": run.samples.errors,
            "first_error": run.samples.first_error,
            **timings,
            "placement": placement,
        },
    )


def _recall(bench: Bench, register: Register) -> Result:
    planned = recall_queries(register.sample, bench.sizes.recall_queries_per_kind)
    run = asyncio.run(_search(bench, planned, warmup=0, budget_s=600))
    found: dict[str, list[bool]] = collections.defaultdict(list)
    misses: dict[str, list[str]] = collections.defaultdict(list)
    for search, hits in zip(planned, run.hits, strict=False):
        if search.operator is None:
            continue
        wanted = str(search.operator.id)
        depth = 1 if search.kind in IDENTIFIER_KINDS else 10
        ok = hits is not None and wanted in hits[:depth]
        found[search.kind].append(ok)
        if not ok and len(misses[search.kind]) < 5:
            misses[search.kind].append(f"{search.params['q']!r} for {search.operator.name!r}")

    def share(kinds: tuple[str, ...]) -> float:
        outcomes = [ok for kind in kinds for ok in found[kind]]
        return sum(outcomes) / len(outcomes) if outcomes else float("nan")

    text_kinds = tuple(kind for kind in KINDS if kind not in IDENTIFIER_KINDS)
    return Result(
        "search_recall",
        {
            "queries": float(sum(len(v) for v in found.values())),
            "recall_at_10": share(text_kinds),
            "one_typo_recall_at_10": share(TYPO_KINDS),
            "two_typo_recall_at_10": share(("two_edits_long_word",)),
            "identifier_recall_at_1": share(IDENTIFIER_KINDS),
        },
        details={
            "via": "registry JSON API GET /api/v1/operators?q=, no filters, first page of 10",
            "operators": register.count,
            "by_kind": {kind: round(share((kind,)), 4) for kind in KINDS},
            "queries_by_kind": {kind: len(found[kind]) for kind in KINDS},
            "misses": dict(misses),
            "errors": run.samples.errors,
            "first_error": run.samples.first_error,
        },
    )


def operator_search(bench: Bench) -> list[Result]:
    """`operator_search` at 100,000 operators and at the full size, then `search_recall`."""
    register = Register(bench.stack.database_urls["registry"])
    try:
        small = min(SMALL_REGISTER, bench.sizes.operators // 10)
        results = [_latency(bench, register, size) for size in (small, bench.sizes.operators)]
        return [*results, _recall(bench, register)]
    finally:
        register.close()
