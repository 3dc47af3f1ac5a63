"""Templates to text: `templates/<message>/<lang>/{subject.txt,body.txt,body.html}` (Jinja2).

A missing variable is an error (StrictUndefined), never an empty gap in an e-mail. HTML is
autoescaped. Text bodies write each paragraph on one line and are wrapped here, after the names
and addresses are in (`wrap_text`): a template wrapped by hand broke its lines unevenly once a
long organisation name was filled in. A language without a translation of a message falls back
to English. Messages of the registry extend `_layout/<lang>/registry.*` and carry the registry's
name as sender.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

TEMPLATES_DIR = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
# The 24 official EU languages a user can choose for e-mails (ISO 639-1).
EU_LANGUAGES = frozenset(
    {"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr"}
    | {"hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"}
)
PARTS = ("subject.txt", "body.txt", "body.html")

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
}
_DATETIME_FORMATS = {
    "en": "{day} {month} {year} at {hh}:{mm} ({zone})",
    "sv": "{day} {month} {year} kl. {hh}:{mm} ({zone})",
}
_DATE_FORMAT = "{day} {month} {year}"
# `_layout/<lang>/<file>`: the From display name for each service's messages (empty: MAIL_FROM).
SENDER_FILES = {"identity": "sender.txt", "registry": "registry_sender.txt"}
# Plain-text e-mail lines stay readable in any client (RFC 3676 suggests under 78).
TEXT_WIDTH = 72
_LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
# What textwrap counts as whitespace, and how it turns each into a space.
_WHITESPACE = re.compile(r"([\t\n\x0b\x0c\r ]+)")
_TO_SPACE = str.maketrans("\t\n\x0b\x0c\r", "     ")


@dataclass(frozen=True)
class Rendered:
    language: str
    # Display name for From; empty means MAIL_FROM as configured (whose name is the English one).
    sender_name: str
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, *, timezone: str, templates_dir: Path = TEMPLATES_DIR) -> None:
        self._dir = templates_dir
        self._zone = ZoneInfo(timezone)
        # The templates ship with the code and do not change while it runs: what is read from
        # the folder is read once (a render looked at the disk eight times, issue 17).
        self._languages: dict[str, list[str]] = {}
        self._sender_names: dict[tuple[str, str], str] = {}
        self._env = Environment(
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        zone = self._zone

        @pass_context
        def datetime_filter(context: Context, value: datetime) -> str:
            return format_datetime(
                value, zone=zone, language=context.get("lang", FALLBACK_LANGUAGE)
            )

        @pass_context
        def date_filter(context: Context, value: datetime) -> str:
            return format_date(value, zone=zone, language=context.get("lang", FALLBACK_LANGUAGE))

        self._env.filters["datetime"] = datetime_filter
        self._env.filters["date"] = date_filter

    def messages(self) -> list[str]:
        """Every message that has templates (folders starting with `_` hold shared layouts)."""
        return sorted(
            p.name for p in self._dir.iterdir() if p.is_dir() and not p.name.startswith("_")
        )

    def languages(self, message: str) -> list[str]:
        if message not in self._languages:
            folder = self._dir / message
            found = (
                sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
            )
            self._languages[message] = found
        return self._languages[message]

    def language_for(self, message: str, requested: str) -> str:
        """The language the message is written in for a user who asked for `requested`."""
        code = requested.strip().lower().replace("_", "-").split("-")[0]
        if code in EU_LANGUAGES and code in self.languages(message):
            return code
        return FALLBACK_LANGUAGE

    def sender_name(self, language: str, sender: str = "identity") -> str:
        if (language, sender) not in self._sender_names:
            path = self._dir / "_layout" / language / SENDER_FILES[sender]
            name = _one_line(path.read_text(encoding="utf-8")) if path.is_file() else ""
            self._sender_names[language, sender] = name
        return self._sender_names[language, sender]

    def render(
        self,
        message: str,
        requested_language: str,
        variables: Mapping[str, Any],
        *,
        sender: str = "identity",
    ) -> Rendered:
        language = self.language_for(message, requested_language)
        base = f"{message}/{language}"
        values = {**variables, "lang": language}
        subject = _one_line(self._env.get_template(f"{base}/subject.txt").render(values))
        values["subject"] = subject
        return Rendered(
            language=language,
            sender_name=self.sender_name(language, sender),
            subject=subject,
            text=wrap_text(self._env.get_template(f"{base}/body.txt").render(values)),
            html=self._env.get_template(f"{base}/body.html").render(values),
        )


def format_datetime(value: datetime, *, zone: ZoneInfo, language: str) -> str:
    local = value.astimezone(zone)
    months = _MONTHS.get(language, _MONTHS[FALLBACK_LANGUAGE]).split()
    pattern = _DATETIME_FORMATS.get(language, _DATETIME_FORMATS[FALLBACK_LANGUAGE])
    return pattern.format(
        day=local.day,
        month=months[local.month - 1],
        year=local.year,
        hh=f"{local.hour:02d}",
        mm=f"{local.minute:02d}",
        zone=local.tzname() or zone.key,
    )


def format_date(value: datetime, *, zone: ZoneInfo, language: str) -> str:
    local = value.astimezone(zone)
    months = _MONTHS.get(language, _MONTHS[FALLBACK_LANGUAGE]).split()
    return _DATE_FORMAT.format(day=local.day, month=months[local.month - 1], year=local.year)


def wrap_text(text: str, width: int = TEXT_WIDTH) -> str:
    """Every line longer than `width` wrapped at spaces (never inside a word or a link); a list
    item's continuation lines are indented under its text."""
    wrapped = []
    for line in text.split("\n"):
        if len(line) <= width:
            wrapped.append(line)
            continue
        item = _LIST_ITEM.match(line)
        indent = " " * len(item.group(0)) if item else ""
        wrapped.append(fill(line, width=width, subsequent_indent=indent))
    return "\n".join(wrapped)


def fill(text: str, *, width: int, subsequent_indent: str = "") -> str:
    """`textwrap.fill(text, width, subsequent_indent=…, break_long_words=False,
    break_on_hyphens=False)`, line for line (a test compares the two on generated text).

    Written out because textwrap's generality cost 0.1 ms of the notifier's ~0.7 ms per e-mail
    (issue 17): the same greedy fill, without its option handling.
    """
    chunks = [chunk for chunk in _WHITESPACE.split(text.expandtabs().translate(_TO_SPACE)) if chunk]
    lines: list[str] = []
    position = 0
    while position < len(chunks):
        indent = subsequent_indent if lines else ""
        if lines and not chunks[position].strip():
            position += 1  # a line never starts with the spaces the break fell on
            if position == len(chunks):
                break
        start, used = position, len(indent)
        while position < len(chunks) and used + len(chunks[position]) <= width:
            used += len(chunks[position])
            position += 1
        if position == start:
            position += 1  # a word longer than the line: alone on a line of its own
        end = position - 1 if not chunks[position - 1].strip() else position
        if end > start:
            lines.append(indent + "".join(chunks[start:end]))
    return "\n".join(lines)


def _one_line(text: str) -> str:
    # A subject is a header: a stray newline from a template must not start another header.
    return re.sub(r"\s+", " ", text).strip()
