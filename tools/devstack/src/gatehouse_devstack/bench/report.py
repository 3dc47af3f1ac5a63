"""Benchmark results: the `BENCH ...` lines, the table for people, and the JSON for comparison."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Each benchmark's figures, in the order of its line, with the number of decimals shown.
FIGURES: dict[str, tuple[tuple[str, int], ...]] = {
    "login_password": (
        ("logins_per_s", 1),
        ("hash_limit_per_s", 1),
        ("ratio", 2),
        ("p99_ms", 1),
    ),
    "login_oidc_mfa": (
        ("logins_per_s", 1),
        ("hash_limit_per_s", 1),
        ("ratio", 2),
        ("p99_ms", 1),
    ),
    "introspect_grpc": (
        ("calls_per_s", 0),
        ("echo_per_s", 0),
        ("ratio", 2),
        ("two_core_calls_per_s", 0),
        ("p99_ms", 2),
    ),
    "client_credentials": (("tokens_per_s", 0), ("p99_ms", 1)),
    "operator_search": (("operators", 0), ("p50_ms", 1), ("p95_ms", 1)),
    "search_recall": (
        ("queries", 0),
        ("recall_at_10", 3),
        ("one_typo_recall_at_10", 3),
        ("two_typo_recall_at_10", 3),
        ("identifier_recall_at_1", 3),
    ),
    "events_pipeline": (
        ("events_per_s", 0),
        ("raw_nats_per_s", 0),
        ("ratio", 3),
        ("p99_ms", 0),
        ("sink_per_s", 0),
    ),
    "events_catch_up": (("queued", 0), ("emails_per_s", 0), ("seconds", 1)),
    "memory": (("identity_rss_mb", 0), ("registry_rss_mb", 0), ("notifier_rss_mb", 0)),
    # login_password again with this many accounts in identity's database (one line each size).
    "login_password_scale": (
        ("accounts", 0),
        ("logins_per_s", 1),
        ("hash_limit_per_s", 1),
        ("ratio", 2),
        ("p99_ms", 1),
    ),
}
ORDER = tuple(FIGURES)
# Figures shown in the table (and kept in the JSON) but not on the line: (key, label, decimals).
TABLE_ONLY: dict[str, tuple[tuple[str, str, int], ...]] = dict.fromkeys(
    ("login_password", "login_oidc_mfa", "login_password_scale"),
    (
        ("http_requests_per_sign_in", "HTTP requests/sign-in", 1),
        ("sql_statements_per_sign_in", "SQL statements/sign-in", 1),
    ),
)

# The goals of the issue: (figure, comparison, value, how it reads in the table).
GOALS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "login_password": (("ratio", ">=", 0.85),),
    "login_oidc_mfa": (("ratio", ">=", 0.7),),
    "login_password_scale": (("ratio", ">=", 0.85),),
    "introspect_grpc": (
        ("ratio", ">=", 0.8),
        ("two_core_ratio", ">=", 1.8),
        ("p99_ms", "<", 10),
    ),
    # Identity alone on its core: per core (issue 19).
    "client_credentials": (("tokens_per_s", ">=", 500),),
    "operator_search": (("p95_ms", "<", 50), ("p50_ms", "<", 15)),
    "search_recall": (
        ("one_typo_recall_at_10", ">=", 0.98),
        ("two_typo_recall_at_10", ">=", 0.9),
        ("identifier_recall_at_1", ">=", 1.0),
    ),
    "events_pipeline": (("events_per_s", ">=", 1000), ("p99_ms", "<", 1000)),
    "memory": (
        ("identity_rss_mb", "<", 250),
        ("registry_rss_mb", "<", 250),
        ("notifier_rss_mb", "<", 250),
    ),
}
LINE_PATTERN = re.compile(
    r"^BENCH (?P<name>[a-z_]+)( (?P<key>[a-z_0-9]+)=(?P<value>[^ ]+))+$",
)


@dataclass
class Result:
    name: str
    figures: dict[str, float] = field(default_factory=dict)
    # Why there are no figures (the feature is missing or failed); never a made-up number.
    unavailable: str | None = None
    # How the figures were obtained and anything else worth keeping (JSON and table only).
    details: dict[str, Any] = field(default_factory=dict)
    # One remark for the table (e.g. the CPU-time view of a ratio when the machine was busy).
    note: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        if self.unavailable is not None:
            return f"BENCH {self.name} unavailable={reason_token(self.unavailable)}"
        parts = [
            f"{key}={format_number(self.figures[key], decimals)}"
            for key, decimals in FIGURES[self.name]
        ]
        return f"BENCH {self.name} " + " ".join(parts)

    def goal_outcomes(self) -> list[tuple[str, bool]]:
        """(goal as text, met) for each goal of this benchmark that has a figure."""
        outcomes = []
        for key, comparison, target in GOALS.get(self.name, ()):
            if key not in self.figures:
                continue
            value = self.figures[key]
            met = value >= target if comparison == ">=" else value < target
            outcomes.append((f"{key} {comparison} {target:g}", met))
        return outcomes


def reason_token(reason: str) -> str:
    """A reason as one token of the line: no spaces, at most 120 characters."""
    token = re.sub(r"[^A-Za-z0-9_.:/()-]+", "_", reason.strip()).strip("_")
    return (token or "unknown")[:120]


def format_number(value: float, decimals: int) -> str:
    if math.isnan(value) or math.isinf(value):
        return "nan"
    return f"{value:.{decimals}f}"


def parse_line(line: str) -> tuple[str, dict[str, str]] | None:
    """The name and key=value pairs of a `BENCH` line, or None if it is not one."""
    if LINE_PATTERN.match(line) is None:
        return None
    words = line.split()
    pairs = dict(word.split("=", 1) for word in words[2:])
    return words[1], pairs


def table(results: Sequence[Result]) -> str:
    """The human-readable summary printed after the lines."""
    rows = [("benchmark", "figures", "goal", "met", "note")]
    for result in results:
        if result.unavailable is not None:
            rows.append((result.name, f"unavailable: {result.unavailable}", "", "", ""))
            continue
        figures = ", ".join(
            [
                f"{key} {format_number(result.figures[key], decimals)}"
                for key, decimals in FIGURES[result.name]
            ]
            + [
                f"{label} {format_number(result.figures[key], decimals)}"
                for key, label, decimals in TABLE_ONLY.get(result.name, ())
                if key in result.figures
            ]
        )
        outcomes = result.goal_outcomes()
        goals = "; ".join(goal for goal, _ in outcomes)
        met = "yes" if outcomes and all(ok for _, ok in outcomes) else "no"
        if not outcomes:
            met = ""
        elif not all(ok for _, ok in outcomes) and any(ok for _, ok in outcomes):
            met = "partly"
        rows.append((result.name, figures, goals, met, result.note))
    widths = [min(max(len(row[i]) for row in rows), 130) for i in range(5)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_json(
    results: Sequence[Result], directory: Path, *, machine: dict[str, Any], run: dict[str, Any]
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"bench-{stamp}.json"
    document = {
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": machine,
        "run": run,
        "results": [
            {
                "name": result.name,
                "line": result.line(),
                "figures": result.figures,
                "unavailable": result.unavailable,
                "goals": [{"goal": goal, "met": met} for goal, met in result.goal_outcomes()],
                "note": result.note,
                "seconds": round(result.seconds, 1),
                "details": result.details,
            }
            for result in results
        ],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` in 0..1) of `samples`; NaN when empty."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
