"""The one input boundary of every service: text that PostgreSQL or a JSON encoder cannot hold
never reaches a handler.

PostgreSQL refuses NUL in text, and an unpaired UTF-16 surrogate (which a JSON `\\ud800` escape
can carry) cannot be encoded as UTF-8 — neither by the database driver nor by the error handler
that echoes the input. Rather than each handler remembering that, every string a request
carries is checked here, once, before routing:

- JSON bodies (keys and values, at any depth), form bodies, query parameters, the path: valid
  UTF-8, no NUL, no unpaired surrogate;
- header values: no NUL (they are bytes decoded as Latin-1, so any other byte is a character);
- gRPC requests: every string field, at any depth, without NUL (protobuf already refuses
  strings that are not UTF-8 when it decodes them).

A refusal is 422 in FastAPI's own shape, naming where (`["body", "contacts", 1, "email"]`,
`["query", "q"]`, `["header", "user-agent"]`, `["path"]`), or INVALID_ARGUMENT naming the
field; a name that is itself unfit is shown escaped, never raw. The whole body has been read
before the answer, so the connection stays open for the next request. Bodies are already
bounded by the size limit (BodySizeLimitMiddleware) outside this one.

Multipart bodies are refused with 415: no Gatehouse endpoint takes one, and each part would be
one more place for unfit text to hide.

Written by hand because no library covers every transport at once; pydantic sees fields only
after the framework has decoded them, and its error then echoes the unencodable input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message as ProtoMessage
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Location = tuple[str | int, ...]
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class UnfitText:
    """Where the unfit text was and what is wrong with it."""

    location: Location
    reason: str

    def field_name(self) -> str:
        """`contacts[1].email`, for gRPC details and logs."""
        name = ""
        for part in self.location[1:] if len(self.location) > 1 else self.location:
            name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
        return name


def text_problem(text: str) -> str | None:
    """What makes `text` unfit for storage and for a UTF-8 answer, or None when it is fine."""
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds an unpaired surrogate)"
    return None


def shown(name: str) -> str:
    """A name as it may appear in an answer: unfit ones escaped, so nothing raw is echoed."""
    return name if text_problem(name) is None else name.encode("unicode_escape").decode("ascii")


def unfit_in_json(value: Any, where: Location = ("body",)) -> UnfitText | None:
    """The first unfit key or string in a decoded JSON document (iterative: any depth)."""
    pending: list[tuple[Any, Location]] = [(value, where)]
    while pending:
        item, location = pending.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                return UnfitText(location, problem)
        elif isinstance(item, dict):
            for key, member in item.items():
                key_problem = text_problem(key)
                if key_problem is not None:
                    return UnfitText((*location, shown(key)), f"field names {key_problem}")
                pending.append((member, (*location, key)))
        elif isinstance(item, list):
            pending.extend((member, (*location, index)) for index, member in enumerate(item))
    return None


def unfit_in_urlencoded(raw: bytes, where: str) -> UnfitText | None:
    """The first unfit name or value of `a=1&b=2` (a query string or a form body)."""
    if raw.isascii() and b"%" not in raw:
        return None  # plain ASCII without escapes: nothing can be wrong
    for pair in raw.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name_problem, name = _decoded(raw_name)
        if name_problem is not None:
            return UnfitText((where, shown(name)), f"parameter names {name_problem}")
        value_problem, _ = _decoded(raw_value)
        if value_problem is not None:
            return UnfitText((where, name), value_problem)
    return None


def _decoded(raw: bytes) -> tuple[str | None, str]:
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "must be UTF-8 text", data.decode("utf-8", "backslashreplace")
    return text_problem(text), text


def unfit_in_path(raw_path: bytes) -> UnfitText | None:
    if b"%" not in raw_path and raw_path.isascii():
        return None
    problem, _ = _decoded(raw_path.replace(b"+", b"%2B"))  # "+" is itself in a path
    return UnfitText(("path",), f"the address {problem}") if problem else None


def unfit_in_headers(headers: Iterable[tuple[bytes, bytes]]) -> UnfitText | None:
    for name, value in headers:
        if b"\x00" in value:
            return UnfitText(("header", name.decode("latin-1")), "must not contain NUL characters")
    return None


def unfit_in_json_body(body: bytes) -> UnfitText | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return UnfitText(("body",), f"must be UTF-8 JSON (byte {error.start} is not UTF-8)")
    if "\\u" not in text:
        return None  # NUL and surrogates can only arrive as \\u escapes in valid UTF-8 JSON
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON at all: FastAPI answers that itself
    return unfit_in_json(document)


# --- gRPC --------------------------------------------------------------------------------------


def unfit_in_message(message: ProtoMessage, prefix: str = "") -> UnfitText | None:
    """The first string field (at any depth, repeated and map fields too) holding a NUL."""
    for field, value in message.ListFields():
        name = f"{prefix}{field.name}"
        found = _unfit_in_field(field, value, name)
        if found is not None:
            return found
    return None


def _unfit_in_field(field: FieldDescriptor, value: Any, name: str) -> UnfitText | None:
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        value_field = entry.fields_by_name["value"]
        for key, member in value.items():
            if isinstance(key, str) and "\x00" in key:
                return UnfitText((name,), "keys must not contain NUL characters")
            found = _unfit_in_field(value_field, member, f"{name}[{key!r}]")
            if found is not None:
                return found
        return None
    members = value if field.is_repeated else [value]
    for index, member in enumerate(members):
        member_name = f"{name}[{index}]" if field.is_repeated else name
        if field.type == FieldDescriptor.TYPE_STRING and "\x00" in member:
            return UnfitText((member_name,), "must not contain NUL characters")
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            found = unfit_in_message(member, f"{member_name}.")
            if found is not None:
                return found
    return None


# --- HTTP --------------------------------------------------------------------------------------


def _media_type(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def is_json_media_type(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class InputBoundaryMiddleware:
    """Plain ASGI (make bench: a `@app.middleware` layer costs ~0.1 ms per request); a request
    without a body and without escapes costs a few `in` searches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        unfit = (
            unfit_in_path(scope.get("raw_path") or scope["path"].encode())
            or unfit_in_urlencoded(scope.get("query_string", b""), "query")
            or unfit_in_headers(headers)
        )
        if unfit is not None:
            await drain_body(receive)
            await refuse_unfit_text(send, unfit)
            return
        media_type = _media_type(headers)
        checks_body = scope["method"] in METHODS_WITH_BODY and (
            is_json_media_type(media_type)
            or media_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        )
        if not checks_body:
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        if disconnected:
            return  # nobody is listening for an answer
        if media_type == "multipart/form-data":
            await _send_json(send, 415, {"detail": "multipart bodies are not accepted here"})
            return
        if is_json_media_type(media_type):
            unfit = unfit_in_json_body(body)
        else:
            unfit = unfit_in_urlencoded(body, "body")
        if unfit is not None:
            await refuse_unfit_text(send, unfit)
            return
        await self.app(scope, _replaying(body, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def drain_body(receive: Receive) -> None:
    """Read the rest of the request, so the connection can carry the next one."""
    await _read_body(receive)


def _replaying(body: bytes, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # later: a disconnect, as the server reports it
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def refusal_body(unfit: UnfitText) -> dict[str, Any]:
    detail = {"loc": list(unfit.location), "msg": unfit.reason, "type": "value_error"}
    return {"code": "unfit_text", "detail": [detail]}


async def refuse_unfit_text(send: Send, unfit: UnfitText) -> None:
    await _send_json(send, 422, refusal_body(unfit))


async def _send_json(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content, ensure_ascii=True).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
