"""What was typed in the search box: checked, and read as words and as identifiers.

Company names hold letters and digits of any script, spaces and punctuation (`& ' . , - / ( ) + :`
and the like, which separate words). Characters no name holds — `; % _ = " < > * | \\ [ ] { }`,
control characters — are refused with a message naming the field, so that a stray paste or an
attempt at SQL gets a clear answer instead of an empty list (the query itself is never SQL:
every value is bound); so is punctuation alone.

An identifier is recognised by its shape, with or without separators and country prefix:
an organisation number ("559123-4561", "5591234561"), a VAT number ("SE559123456101",
"559123456101"), an EORI number ("SE5591234561"). The values the register may hold for it are
listed (`identifier_candidates`), since identifiers are stored in their compact form with their
prefix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from gatehouse_registry.errors import TooLongError
from gatehouse_registry.search import words as word_rules
from gatehouse_registry.search.errors import SearchTextCharactersError, SearchTextEmptyError

MAX_TEXT = 100
# Characters no company name or number holds, which a query language or a paste brings along
# (control and format characters are refused too); other punctuation separates words.
REFUSED = frozenset(';%_\\"=<>*|`{}[]$^~\\')
# Separators people type inside identifiers.
IDENTIFIER_SEPARATORS = re.compile(r"[\s.\-–/]")
IDENTIFIER_SHAPE = re.compile(r"^(?P<prefix>[A-Z]{2})?(?P<body>[0-9][0-9A-Z]{5,17})$")
# VAT prefixes of the EU member states (Greece writes EL), Northern Ireland, Norway and
# Switzerland, the countries whose VAT numbers are typed without their prefix.
VAT_PREFIXES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI", "NO", "CH",
)  # fmt: skip


@dataclass(frozen=True)
class TypedWord:
    text: str
    legal_form: bool
    # The last word, while it is still being typed: its beginning may be all there is.
    last: bool


@dataclass(frozen=True)
class Query:
    words: tuple[TypedWord, ...]
    # The name key of what was typed, for the exact-name rank.
    name_key: str
    identifiers: tuple[str, ...]

    @property
    def required(self) -> tuple[TypedWord, ...]:
        """The words a hit should have: legal forms are optional, unless nothing else was
        typed."""
        others = tuple(word for word in self.words if not word.legal_form)
        return others or self.words


def _check_characters(text: str) -> None:
    for char in text:
        if char in REFUSED or unicodedata.category(char).startswith("C"):
            raise SearchTextCharactersError(field="q", character=char)


def parse(text: str) -> Query | None:
    """The query, or None when nothing was typed; InvalidInputError(field="q") for text that
    cannot be a name or an identifier."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    if len(cleaned) > MAX_TEXT:
        raise TooLongError(field="q", max_length=MAX_TEXT)
    _check_characters(cleaned)
    typed = [word for word in word_rules.name_words(cleaned) if not word.part]
    if not typed:
        raise SearchTextEmptyError(field="q")
    # Still typing the last word unless the text ends with a space or punctuation.
    open_end = text[-1:].isalnum()
    last = len(typed) - 1
    words = tuple(
        TypedWord(
            word.text,
            legal_form=word.legal_form,
            # A legal form typed last ("… AB") is taken as finished, and optional as any.
            last=open_end and index == last and not word.legal_form,
        )
        for index, word in enumerate(typed)
    )
    return Query(
        words=words,
        name_key=word_rules.name_key(cleaned),
        identifiers=identifier_candidates(cleaned),
    )


def identifier_candidates(text: str) -> tuple[str, ...]:
    """The compact values an identifier typed as `text`, or as one of its words, may be stored
    as (none when nothing looks like one)."""
    found: dict[str, None] = {}
    for part in (text, *text.split()):
        found.update(dict.fromkeys(_candidates(part)))
    return tuple(found)


def _candidates(text: str) -> list[str]:
    compact = IDENTIFIER_SEPARATORS.sub("", text).upper()
    shape = IDENTIFIER_SHAPE.match(compact)
    if shape is None or sum(char.isdigit() for char in compact) < 6:
        return []
    prefix, body = shape.group("prefix"), shape.group("body")
    found = [compact]
    if prefix is None:
        # Typed without a prefix: a national number as it is, or a VAT/EORI number of any
        # country.
        found += [p + body for p in VAT_PREFIXES]
    else:
        found.append(body)
    if prefix in {None, "SE"} and len(body) == 10 and body.isdigit():
        # A Swedish organisation number is inside its VAT number (SE…01), as in its EORI.
        found += [f"SE{body}01", f"SE{body}"]
    if prefix in {None, "SE"} and len(body) == 12 and body.isdigit() and body.endswith("01"):
        found.append(body[:10])  # a Swedish VAT number finds the organisation number
    if prefix in {None, "NO"} and len(body) == 9 and body.isdigit():
        found += [f"NO{body}MVA", body]  # Norway's VAT number: the organisation number + MVA
    return found
