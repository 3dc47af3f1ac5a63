"""The physical limit of password sign-ins: how long one argon2id verification takes.

    python -m gatehouse_devstack.bench.argon2_probe --core 0 --seconds 3

Run with identity's environment: the parameters come from identity's own settings
(ARGON2_TIME_COST, ARGON2_MEMORY_KIB, ARGON2_PARALLELISM), and the hasher is built exactly as
identity builds it. Pinned to one core (like `taskset -c N`), it verifies a correct password in a
loop for the given time and prints one JSON object: the hash (for the benchmark's accounts, so
that sign-ins verify with the very same parameters), and the verifications per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from argon2 import PasswordHasher, Type

from gatehouse_identity.settings import IdentitySettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gatehouse_devstack.bench.argon2_probe")
    parser.add_argument("--core", type=int, default=None, help="run on this core only")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--password", default="Bench#Password2025")
    args = parser.parse_args(argv)
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})
    settings = IdentitySettings()
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )
    password_hash = hasher.hash(args.password)
    hasher.verify(password_hash, args.password)  # warm up: memory mapped, code paged in
    durations: list[float] = []
    cpu_started = time.process_time()
    started = time.perf_counter()
    while time.perf_counter() - started < args.seconds or len(durations) < 3:
        before = time.perf_counter()
        hasher.verify(password_hash, args.password)
        durations.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - started
    cpu_used = time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "hash": password_hash,
                "parameters": {
                    "type": "argon2id",
                    "time_cost": settings.argon2_time_cost,
                    "memory_kib": settings.argon2_memory_kib,
                    "parallelism": settings.argon2_parallelism,
                },
                "core": args.core,
                "verifications": len(durations),
                "per_s": len(durations) / elapsed,
                "median_ms": statistics.median(durations) * 1000,
                "min_ms": min(durations) * 1000,
                # CPU time per verification: what it costs whatever else shares the core.
                "cpu_ms": cpu_used / len(durations) * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
