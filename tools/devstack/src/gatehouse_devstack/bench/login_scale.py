"""How a password sign-in's cost grows with identity's users table: login_password again with
10,000 and with 1,000,000 accounts in identity's database (one `login_password_scale` line each).

The accounts are generated inside PostgreSQL (`INSERT … SELECT … FROM generate_series`, one
statement per size, then ANALYZE), all with one argon2id hash of the benchmark password made with
identity's settings by the argon2 probe: hashing a million passwords would take hours and
measure nothing, and a sign-in verifies the one hash it reads whatever the others are. Each
sign-in is by a random generated account, so the look-ups hit the whole table and its indexes,
not a few cached rows. This runs last, after memory, so the other benchmarks see the small table.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from gatehouse_devstack.bench.harness import Bench
from gatehouse_devstack.bench.logins import measured_password_sign_ins
from gatehouse_devstack.bench.report import Result

PREFIX = "bench-scale-"
DOMAIN = "@example.se"
DIGITS = 7
# Keys in ascending order, so each index grows at its right edge as a live table's would over
# time, not by random page splits: time-ordered UUIDs (PostgreSQL 18's uuidv7(); older servers
# get random ones) and zero-padded numbers in the addresses.
INSERT = f"""INSERT INTO users (id, email, email_normalized, first_name, last_name,
                                email_language, status, password_hash, password_changed_at,
                                privacy_statement_version, privacy_statement_accepted_at)
             SELECT {{uuid}}, e, e, 'Bench', 'Scale ' || n,
                    CASE WHEN n % 2 = 0 THEN 'en' ELSE 'sv' END, 'active', $1, now(),
                    'bench', now()
               FROM generate_series($2::bigint, $3::bigint) AS n,
                    LATERAL (SELECT '{PREFIX}' || lpad(n::text, {DIGITS}, '0') || '{DOMAIN}' AS e)
                    AS address"""


def email(number: int) -> str:
    return f"{PREFIX}{number:0{DIGITS}d}{DOMAIN}"


async def grow_to(bench: Bench, accounts: int, generated: int) -> dict[str, Any]:
    """Generate accounts until identity's users table holds `accounts` rows; `generated` of
    ours are there already (numbered from 0). Returns what was done and how long it took."""
    connection = await asyncpg.connect(bench.stack.database_urls["identity"])
    try:
        existing = int(await connection.fetchval("SELECT count(*) FROM users"))
        wanted = max(0, accounts - existing)
        started = time.monotonic()
        if wanted:
            version = connection.get_server_version().major
            uuid = "uuidv7()" if version >= 18 else "gen_random_uuid()"
            await connection.execute(
                INSERT.format(uuid=uuid),
                bench.password_hash,
                generated,
                generated + wanted - 1,
                timeout=600,
            )
        inserted_s = time.monotonic() - started
        await connection.execute("ANALYZE users")
        analyzed_s = time.monotonic() - started - inserted_s
    finally:
        await connection.close()
    return {
        "accounts": existing + wanted,
        "generated": generated + wanted,
        "inserted": wanted,
        "insert_s": round(inserted_s, 1),
        "analyze_s": round(analyzed_s, 1),
    }


def _random_account(generated: int, *, seed: int) -> Callable[[int], str]:
    """Any of the generated accounts, at random (seeded: the same sequence every run)."""
    pick = random.Random(seed)  # noqa: S311  (which account signs in, not a secret)
    return lambda _worker: email(pick.randrange(generated))


def login_password_scale(bench: Bench) -> list[Result]:
    """One line per size of `bench.sizes.scale_accounts`, smallest first."""
    if not bench.password_hash:
        raise RuntimeError("run the argon2 probe first: it makes the password hash")
    results = []
    generated = 0
    for accounts in sorted(bench.sizes.scale_accounts):
        bench.unplace()
        grown = asyncio.run(grow_to(bench, accounts, generated))
        generated = grown["generated"]
        if generated == 0:
            raise RuntimeError(f"the users table already holds more than {accounts} rows")
        figures, note, details = measured_password_sign_ins(
            bench, _random_account(generated, seed=accounts), bench.sizes.scale_login_s
        )
        results.append(
            Result(
                "login_password_scale",
                {"accounts": grown["accounts"], **figures},
                note=f"{note}; {grown['inserted']:,} accounts added in {grown['insert_s']} s",
                details={**details, "growth": grown, "method": __doc__},
            )
        )
    return results
