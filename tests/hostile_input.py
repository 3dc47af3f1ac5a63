"""Hostile strings in every field of every HTTP operation (issue 13: the fuzzing that would have
found NUL and lone surrogates answering 500).

For each operation of a published OpenAPI document, a minimal valid request is found with
schemathesis; then every field — each path and query parameter the operation declares, each
leaf of the JSON body and each top-level body property — gets each hostile string in turn:
NUL, a lone surrogate, bidi controls and a 10,000-character text. Requests are built here
(httpx) rather than by schemathesis' client, which cannot encode a lone surrogate in a URL: it
travels as the bytes a hostile client sends (`%ED%A0%80`, or the JSON escape `\\ud800`).

Every answer must be below 500; text no database can store (NUL, lone surrogate) must be refused
with 422 naming where it was, before any handler (gatehouse_common.input_boundary).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import hypothesis
import schemathesis

HOSTILE = {
    "nul": "a\x00b",
    "lone surrogate": "a\ud800b",
    "bidi controls": "\u202etxt.exe\u202c \u2066x\u2069 \u200f",
    "10,000 characters": "Åsa Ö " * 1666 + "sist",
}
UNSTORABLE = {"nul", "lone surrogate"}
# The first valid request schemathesis generates, as is: shrinking it to the smallest one cost
# ~7 s per operation and adds nothing (every field is varied anyway).
FIND_SETTINGS = hypothesis.settings(
    database=None,
    max_examples=200,
    deadline=None,
    derandomize=True,
    phases=[hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
)


def _url_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")  # a lone surrogate as a client would send it


@dataclass
class Request:
    method: str
    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    has_body: bool
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, client: httpx.Client, template: str) -> httpx.Response:
        path = re.sub(
            r"\{([^}]+)\}",
            lambda m: quote(_url_bytes(str(self.path.get(m.group(1), "x"))), safe=""),
            template,
        )
        query = [(name, _url_bytes(str(value))) for name, value in self.query.items()]
        url = path + (f"?{urlencode(query)}" if query else "")
        headers = dict(self.headers)
        content = None
        if self.has_body and self.media_type == "application/x-www-form-urlencoded":
            fields = [(name, _url_bytes(str(value))) for name, value in self.body.items()]
            content = urlencode(fields).encode()
            headers["Content-Type"] = self.media_type
        elif self.has_body:
            content = json.dumps(self.body).encode()  # ensure_ascii: "\ud800" stays an escape
            headers["Content-Type"] = "application/json"
        return client.request(self.method, url, content=content, headers=headers)


@dataclass(frozen=True)
class Finding:
    operation: str
    where: str
    kind: str
    status: int
    answer: str

    def __str__(self) -> str:
        return f"{self.operation} {self.where} ← {self.kind}: {self.status} {self.answer[:200]}"


def _base(operation: Any) -> Request:
    case = hypothesis.find(operation.as_strategy(), lambda _case: True, settings=FIND_SETTINGS)
    has_body = isinstance(case.body, dict | list)  # JSON; schemathesis marks "none" otherwise
    return Request(
        method=operation.method.upper(),
        path={k: str(v) for k, v in (case.path_parameters or {}).items()},
        query=dict(case.query or {}),
        body=copy.deepcopy(case.body) if has_body else None,
        has_body=has_body,
        media_type=case.media_type or "application/json",
    )


def _leaves(value: Any, where: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _leaves(member, (*where, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from _leaves(member, (*where, index))
    elif where:
        yield where


def _set(document: Any, where: tuple[str | int, ...], value: str) -> Any:
    changed = copy.deepcopy(document)
    target = changed
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    return changed


def _body_properties(operation: Any) -> list[str]:
    names: list[str] = []
    for alternative in operation.body:
        if alternative.media_type in ("application/json", "application/x-www-form-urlencoded"):
            names += list(alternative.definition.get("schema", {}).get("properties", {}))
    return names


def variants(operation: Any, base: Request, value: str) -> Iterator[tuple[str, Request]]:
    """`base` with `value` in one field at a time, and where that field is."""
    for parameter in operation.path_parameters:
        yield f"path {parameter.name}", _with(base, path={**base.path, parameter.name: value})
    for parameter in operation.query:
        yield f"query {parameter.name}", _with(base, query={**base.query, parameter.name: value})
    if not base.has_body:
        return
    seen = set()
    for where in _leaves(base.body):
        seen.add(where[0])
        name = ".".join(map(str, where))
        yield f"body {name}", _with(base, body=_set(base.body, where, value))
    if isinstance(base.body, dict):
        for name in _body_properties(operation):
            if name not in seen:
                yield f"body {name}", _with(base, body={**base.body, name: value})


def _with(base: Request, **changes: Any) -> Request:
    return Request(**{**base.__dict__, **changes})


def sweep(
    client: httpx.Client,
    schema_url: str,
    *,
    headers: dict[str, str] | None = None,
    skip: frozenset[str] = frozenset(),
    under: tuple[str, ...] = ("/",),
) -> tuple[int, list[Finding]]:
    """Send every hostile variant of every operation whose path starts with one of `under`
    (less `skip`); returns how many were sent and what answered wrongly (a 5xx or a dropped
    connection, or unstorable text not refused with 422)."""
    schema = schemathesis.openapi.from_url(schema_url)
    sent, findings = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in skip or not operation.path.startswith(under):
            continue
        base = _base(operation)
        base.headers = dict(headers or {})
        for kind, value in HOSTILE.items():
            for where, request in variants(operation, base, value):
                sent += 1
                try:
                    answer = request.send(client, operation.path)
                except httpx.TransportError as error:  # the server dropped the connection
                    findings.append(Finding(operation.label, where, kind, 0, repr(error)))
                    continue
                wrong = answer.status_code >= 500 or (
                    kind in UNSTORABLE and answer.status_code != 422
                )
                if wrong:
                    findings.append(
                        Finding(operation.label, where, kind, answer.status_code, answer.text)
                    )
    return sent, findings
