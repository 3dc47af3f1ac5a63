"""How operator names become search words: folded, split, legal forms recognised.

One function, `name_words`, is used for what is stored (an operator's name and town) and for what
is typed in the search box, so both sides agree by construction:

- *Folded*: lower case, diacritics removed ("Göteborg" → "goteborg", "Łódź" → "lodz",
  "Straße" → "strasse"), the way people type when they skip them.
- *Split on spaces and punctuation*, where punctuation inside a word is optional: "Co-op" is the
  words "co" and "op" and also "coop", so "Coop", "Co-op" and "co op" all find it; "A/S" → "as".
- *Legal forms* (AB, HB, GmbH, Sp. z o.o., S.r.l., Oy, A/S, Ltd, …) are recognised, also when
  written with dots and spaces ("S. L." = "SL"), so that a search may leave them out or name
  another one.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

# Letters that Unicode does not decompose into a base letter and a mark.
SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
    }
)
# Runs of letters and digits (of any script); everything else separates or joins them.
ALNUM_RUN = re.compile(r"[^\W_]+")

# Legal forms of the countries whose operators the register holds, folded and without dots.
LEGAL_FORMS = frozenset(
    {
        # Sweden, Finland, Norway, Denmark, Iceland, Estonia, Latvia, Lithuania
        "ab", "aktiebolag", "publ", "hb", "handelsbolag", "kb", "kommanditbolag", "ekfor",
        "ekonomiskforening", "oy", "oyj", "ky", "tmi", "ans", "nuf", "aps", "amba",
        "ivs", "ehf", "hf", "ou", "sia", "uab",
        # Germany, Austria, Switzerland, the Netherlands, Belgium, Luxembourg
        "gmbh", "ag", "kg", "ohg", "ug", "gbr", "kgaa", "mbh", "eg", "ev", "co",
        "bv", "nv", "vof", "cv", "bvba", "sprl", "cvba", "srl", "sa", "sarl", "scs",
        # France, Spain, Portugal, Italy
        "sas", "sasu", "eurl", "snc", "sci", "sl", "slu", "sau", "sll", "scoop", "lda", "spa",
        "sapa", "srls", "scarl",
        # Poland, Czechia, Slovakia, Hungary, Slovenia, Croatia, Bulgaria, Romania, Greece
        "spzoo", "spj", "spk", "sj", "sk", "ska", "sro", "vos", "kft", "zrt", "nyrt", "bt",
        "doo", "dd", "ood", "eood", "ead", "ad", "pfa", "ike", "ae", "oe", "epe",
        # English-speaking and elsewhere
        "ltd", "limited", "llc", "llp", "lp", "inc", "incorporated", "plc", "corp",
        "corporation", "pty", "pvt", "company", "ltda", "eirl", "cia",
    }
)  # fmt: skip
# Legal forms that are also names ("Åsa", "Ås") when not written in capitals ("ASA", "AS").
CAPITALS_ONLY = frozenset({"as", "asa"})
# Not here, although legal forms, because they are also common words of names: "ek" (e.K.; the
# Swedish oak), "is" (I/S; ice), "da" (DA; Italian "da"). Written with dots they are still
# recognised below.
#
# Legal forms written as several short parts ("Sp. z o.o." → sp z o o; "S. L." → s l): the parts
# in order, joined into the form they name. Longest first, so "s l u" wins over "s l".
LEGAL_FORM_PARTS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            ("sp", "z", "o", "o"),
            ("sp", "z", "oo"),
            ("sp", "zoo"),
            ("sp", "j"),
            ("sp", "k"),
            ("s", "coop"),
            ("ekonomisk", "forening"),
            ("ek", "for"),
            ("s", "l", "u"),
            ("s", "r", "l"),
            ("s", "p", "a"),
            ("s", "a", "s"),
            ("s", "l"),
            ("s", "a"),
            ("s", "r", "o"),
            ("b", "v"),
            ("n", "v"),
            ("a", "s"),
            ("a", "g"),
            ("a", "b"),
            ("o", "y"),
            ("d", "o", "o"),
            ("e", "k"),
            ("e", "v"),
            ("v", "o", "f"),
            ("i", "s"),
            ("d", "a"),
        ),
        key=len,
        reverse=True,
    )
)


class Word(NamedTuple):
    """A folded word of a name. A word written with inner punctuation ("Co-op") is the word
    "coop", and its parts ("co", "op") are stored as well, marked `part`, so that either way of
    writing it finds the other; parts are not typed as words of their own."""

    text: str
    legal_form: bool = False
    part: bool = False


def fold(text: str) -> str:
    """Lower case without diacritics: "Göteborg" → "goteborg", "Straße" → "strasse"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(SPECIAL_LETTERS))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(SPECIAL_LETTERS).casefold()


@functools.lru_cache(maxsize=65536)
def _parts(chunk: str) -> tuple[str, ...]:
    parts = ALNUM_RUN.findall(fold(chunk))
    if len(parts) == 1 and parts[0] in CAPITALS_ONLY and chunk.isupper():
        return (parts[0].upper(),)  # a legal form: marked until name_words reads it
    return tuple(parts)


def _chunks(text: str) -> list[tuple[str, ...]]:
    """The space-separated chunks of `text` (folded one by one: names share most of them), each
    as its runs of letters and digits."""
    return [parts for parts in map(_parts, text.split()) if parts]


def _word(part: str) -> Word:
    if part.isupper():  # CAPITALS_ONLY, written in capitals
        return Word(part.lower(), legal_form=True)
    return Word(part, legal_form=part in LEGAL_FORMS)


LEGAL_FORMS_BY_FIRST_PART: dict[str, tuple[tuple[str, ...], ...]] = {
    first: tuple(form for form in LEGAL_FORM_PARTS if form[0] == first)
    for first in {form[0] for form in LEGAL_FORM_PARTS}
}


def _legal_form_at(parts: list[str], index: int) -> int:
    """How many parts from `index` on spell a legal form written in parts (0: none)."""
    for form in LEGAL_FORMS_BY_FIRST_PART.get(parts[index], ()):
        if tuple(parts[index : index + len(form)]) == form:
            return len(form)
    return 0


def name_words(text: str) -> list[Word]:
    """The words of a name (or of what was typed), in order, legal forms marked, followed by
    the parts of the words written with inner punctuation."""
    chunks = _chunks(text)
    flat = [part for parts in chunks for part in parts]
    if len(flat) == len(chunks) and LEGAL_FORMS_BY_FIRST_PART.keys().isdisjoint(flat):
        # The common case, quickly: no punctuation inside words, no legal form in parts.
        return [_word(part) for part in flat]
    chunk_of = [chunk for chunk in chunks for _ in chunk]
    first_of_chunk = {sum(map(len, chunks[:n])) for n in range(len(chunks))}
    words: list[Word] = []
    parts: list[Word] = []
    index = 0
    while index < len(flat):
        chunk = chunk_of[index]
        spelled = _legal_form_at(flat, index)
        if spelled:
            words.append(Word("".join(flat[index : index + spelled]), legal_form=True))
            index += spelled
        elif (
            len(chunk) > 1
            and index in first_of_chunk
            and not _has_legal_form(flat, index, len(chunk))
        ):
            joined = "".join(chunk)
            words.append(Word(joined, legal_form=joined in LEGAL_FORMS))
            parts.extend(Word(p, legal_form=p in LEGAL_FORMS, part=True) for p in chunk)
            index += len(chunk)
        else:
            words.append(_word(flat[index]))
            index += 1
    known = {word.text for word in words}
    for word in parts:
        if word.text not in known:
            known.add(word.text)
            words.append(word)
    return words


def _has_legal_form(flat: list[str], start: int, length: int) -> bool:
    """Whether a legal form written in parts begins among flat[start:start + length]."""
    return any(_legal_form_at(flat, i) for i in range(start, start + length))


@dataclass(frozen=True)
class SearchEntry:
    """What an operator is found by: the distinct words of its name and of its main address's
    town, and its name's key."""

    words: tuple[str, ...]
    name_key: str

    @property
    def word_set_key(self) -> str:
        return word_set_key(self.name_key)


def search_entry(name: str, town: str) -> SearchEntry:
    of_name = name_words(name)
    seen: dict[str, None] = {}
    for word in (*of_name, *_town_words(town)):
        seen.setdefault(word.text, None)
    return SearchEntry(words=tuple(seen), name_key=_key(of_name))


@functools.lru_cache(maxsize=4096)
def _town_words(town: str) -> tuple[Word, ...]:
    return tuple(name_words(town))


def word_set_key(key: str) -> str:
    """A name key's distinct words in sorted order: the same for the same words in any order
    ("Import Nordic" and "Nordic Import")."""
    return " ".join(sorted(set(key.split())))


def name_key(text: str) -> str:
    """The name as compared for "the same name": its words, without legal forms, punctuation
    and diacritics ("Nordic Import AB" and "nordic import" have the same key)."""
    return _key(name_words(text))


def _key(words: list[Word]) -> str:
    return " ".join(word.text for word in words if not word.legal_form and not word.part)
