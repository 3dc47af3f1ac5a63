"""`python -m gatehouse_devstack.bench` (`make bench`): start the system, run every benchmark,
print one `BENCH` line each and a table, and keep the figures as JSON in bench-results/."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatehouse_devstack.bench import (
    catch_up,
    client_credentials,
    cpu,
    events,
    introspection,
    login_scale,
    logins,
    memory,
    search,
)
from gatehouse_devstack.bench.fixtures import (
    Account,
    OidcClient,
    TotpAccount,
    create_accounts,
    enrol_authenticator_apps,
    register_oidc_client,
)
from gatehouse_devstack.bench.harness import Bench, Sizes
from gatehouse_devstack.bench.report import ORDER, Result, table, write_json
from gatehouse_devstack.stack import ExternalServers, Ports, Stack, StackError, StackOptions


def progress(message: str) -> None:
    stamp = datetime.now(UTC).astimezone().strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m gatehouse_devstack.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="every benchmark for about a second, tiny sizes"
    )
    parser.add_argument("--operators", type=int, help="operators to generate for the search")
    parser.add_argument("--only", nargs="+", choices=ORDER, help="run only these benchmarks")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument(
        "--results-dir", type=Path, default=Path("bench-results"), help="where the JSON goes"
    )
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the databases afterwards (var/bench/...)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.operators is not None:
        sizes = dataclasses.replace(sizes, operators=args.operators)
    pin = not args.no_pin and cpu.can_pin()
    if not args.no_pin and not pin:
        progress(f"only cores {cpu.INITIAL_CORES}: running unpinned")
    selected = [name for name in ORDER if args.only is None or name in args.only]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = Path.cwd() / "var" / "bench" / stamp
    options = StackOptions(
        environment="development",
        run_dir=run_dir,
        data_dir=run_dir / "data",
        ports=Ports.free(),
        external=ExternalServers.from_environment(os.environ),
        log_level=os.environ.get("LOG_LEVEL") or "INFO",
        captcha_enabled=False,
        durable_database=True,  # measured as deployed: every commit reaches the disk
        # SQL statements per sign-in are counted from PostgreSQL's own statistics.
        postgres_settings=("shared_preload_libraries=pg_stat_statements",),
    )
    began = time.monotonic()
    stack = Stack(options, report=progress)
    # Identity runs on one core in the sign-in benchmarks: one argon2 thread per core it has.
    stack.services["identity"].env["PASSWORD_HASH_THREADS"] = "1"  # noqa: S105  (a count)
    progress(f"starting the system (logs in {run_dir / 'logs'})")
    results: list[Result] = []
    exit_code = 0
    try:
        with stack:
            bench = Bench(stack, sizes, pin)
            results = run_benchmarks(bench, selected)
    except StackError as error:
        # Still one line per benchmark, saying why there is no figure.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "unknown"
        progress(f"the system did not start:\n{error}")
        results = [
            Result(name, unavailable=f"system did not start: {first_line}") for name in selected
        ]
        exit_code = 1
    finally:
        if not args.keep_data:
            shutil.rmtree(run_dir / "data", ignore_errors=True)
    for result in results:
        print(result.line())
    print()
    print(table(results))
    machine = {
        "cpu_model": cpu.cpu_model(),
        "cores": cpu.core_count(),
        "memory_gb": round(memory.total_memory_bytes() / 1e9, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_end": os.getloadavg(),
    }
    run = {
        "quick": args.quick,
        "pinned": pin,
        "sizes": dataclasses.asdict(sizes),
        "total_seconds": round(time.monotonic() - began, 1),
        "logs": str(run_dir / "logs"),
    }
    path = write_json(results, args.results_dir, machine=machine, run=run)
    print(f"\nMachine: {machine['cpu_model']}, {machine['cores']} cores. Results: {path}")
    print(f"Total time {run['total_seconds']:.0f} s.")
    return exit_code


def run_benchmarks(bench: Bench, selected: list[str]) -> list[Result]:
    sizes = bench.sizes
    log = bench.stack.options.run_dir / "bench-errors.log"
    setup: dict[str, Any] = {}

    def prepare_accounts() -> None:
        progress("timing argon2id with identity's settings (the physical limit)")
        bench.argon2_probe(sizes.argon2_probe_s)
        setup["login"] = asyncio.run(create_accounts(bench, sizes.login_clients, label="login"))
        setup["events"] = asyncio.run(create_accounts(bench, sizes.event_accounts, label="event"))

    def prepare_oidc() -> None:
        rp = register_oidc_client(bench)
        accounts = asyncio.run(create_accounts(bench, sizes.oidc_accounts, label="oidc"))
        progress(f"enrolling an authenticator app for {len(accounts)} accounts")
        users = asyncio.run(enrol_authenticator_apps(bench, accounts))
        setup["oidc"] = (rp, users)

    def run_login_password() -> Result:
        login_accounts: list[Account] = setup["login"]
        return logins.login_password(bench, login_accounts)

    def run_login_oidc() -> Result:
        rp: OidcClient
        users: list[TotpAccount]
        rp, users = setup["oidc"]
        return logins.login_oidc_mfa(bench, rp, users)

    # (the benchmarks a step measures, the step); a step may give several lines.
    steps: list[tuple[tuple[str, ...], Callable[[], Result | list[Result]]]] = [
        (("login_password",), run_login_password),
        (("login_oidc_mfa",), run_login_oidc),
        (("introspect_grpc",), lambda: introspection.introspect_grpc(bench)),
        (("client_credentials",), lambda: client_credentials.client_credentials(bench)),
        (("operator_search", "search_recall"), lambda: search.operator_search(bench)),
        (("events_pipeline",), lambda: events.events_pipeline(bench, setup["events"])),
        (("events_catch_up",), lambda: catch_up.events_catch_up(bench, setup["events"])),
        (("memory",), lambda: memory.memory(bench)),
        # Last: it grows identity's users table to a million rows.
        (("login_password_scale",), lambda: login_scale.login_password_scale(bench)),
    ]
    prepared = {
        "accounts": attempt_setup("accounts", prepare_accounts, log),
        "oidc": None,
    }
    if "login_oidc_mfa" in selected or "introspect_grpc" in selected:
        prepared["oidc"] = attempt_setup("OIDC client and authenticator apps", prepare_oidc, log)
    results: list[Result] = []
    for names, step in steps:
        if not set(names) & set(selected):
            continue
        name = names[0]
        failure = prepared["accounts"]
        if name in ("login_oidc_mfa", "introspect_grpc") and failure is None:
            failure = prepared["oidc"]
        if failure is not None and name not in {"memory", "operator_search", "client_credentials"}:
            results.extend(Result(n, unavailable=f"setup failed: {failure}") for n in names)
            continue
        progress(f"running {' and '.join(names)}")
        for result in attempt(bench, names, step, log):
            results.append(result)
            progress(result.line())
    return results


def attempt_setup(what: str, step: Callable[[], None], log: Path) -> str | None:
    """Run a setup step; None when it worked, else why not (the traceback goes to `log`)."""
    progress(f"preparing {what}")
    try:
        step()
    except Exception as error:  # noqa: BLE001  (benchmarks that need it say unavailable)
        _log_failure(log, f"setup: {what}")
        return f"{type(error).__name__}: {error}"
    return None


def attempt(
    bench: Bench, names: tuple[str, ...], step: Callable[[], Result | list[Result]], log: Path
) -> list[Result]:
    """One step's benchmarks; a failure becomes an `unavailable=` line for each benchmark without
    a figure, with the reason, never a figure."""
    started = time.monotonic()
    results: list[Result] = []
    try:
        outcome = step()
        results = outcome if isinstance(outcome, list) else [outcome]
    except Exception as error:  # noqa: BLE001  (the other benchmarks still run)
        _log_failure(log, names[0])
        measured = {result.name for result in results}
        results += [
            Result(name, unavailable=f"{type(error).__name__}: {error}")
            for name in names
            if name not in measured
        ]
    finally:
        bench.unplace()
    for result in results:
        result.seconds = time.monotonic() - started
    return results


def _log_failure(log: Path, what: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as file:
        file.write(f"--- {what}\n{traceback.format_exc()}\n")
    progress(f"{what} failed (traceback in {log})")
