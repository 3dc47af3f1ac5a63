"""The search's rules on their own (no database): how names become words, which typos are
forgiven, what the search box accepts and which identifiers it recognises."""

from __future__ import annotations

import random

import pytest

from gatehouse_registry.errors import InvalidInputError
from gatehouse_registry.search import query, typos, words


def texts(name: str) -> list[str]:
    return [word.text for word in words.name_words(name)]


def legal_forms(name: str) -> list[str]:
    return [word.text for word in words.name_words(name) if word.legal_form]


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Göteborgs Fruktimport", "goteborgs fruktimport"),
        ("Łódź Owoce", "lodz owoce"),
        ("Müller Straße", "muller strasse"),
        ("Sørensen Grønt", "sorensen gront"),
        ("Lefèbvre Légumes", "lefebvre legumes"),
    ],
)
def test_diacritics_fold_away(written: str, folded: str) -> None:
    assert words.name_key(written) == folded


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("Nordic Import AB", ["ab"]),
        ("Kowalski Owoce Sp. z o.o.", ["spzoo"]),
        ("García Frutas S. L.", ["sl"]),
        ("Jensen Frugt A/S", ["as"]),
        ("Müller Obst GmbH & Co. KG", ["gmbh", "co", "kg"]),
        ("Rossi Frutta S.r.l.", ["srl"]),
        ("Volvo AB (publ)", ["ab", "publ"]),
        ("Johnson Produce (Pty) Ltd", ["pty", "ltd"]),
        # Words that are also legal forms elsewhere, written as words: not legal forms.
        ("Ek Trävaror AB", ["ab"]),
        ("Pizzeria da Mario", []),
    ],
)
def test_legal_forms_are_recognised_however_written(name: str, forms: list[str]) -> None:
    assert legal_forms(name) == forms


def test_the_same_name_with_or_without_legal_form_and_punctuation() -> None:
    assert words.name_key("Nordic Import AB") == words.name_key("nordic import")
    assert words.name_key("Nordic Import Oy") == words.name_key("NORDIC IMPORT, AB")
    assert words.name_key("Co-op Nord") == words.name_key("Coop Nord")
    assert words.name_key("Nordic Import AB") != words.name_key("Import Nordic AB")


def test_punctuation_inside_a_word_is_optional() -> None:
    entry = words.search_entry("Co-op Nord AB", "Malmö")
    assert {"coop", "co", "op", "nord", "ab", "malmo"} <= set(entry.words)
    assert texts("H&M Hennes & Mauritz AB")[:3] == ["hm", "hennes", "mauritz"]


@pytest.mark.parametrize(("length", "edits"), [(1, 0), (3, 0), (4, 1), (8, 1), (9, 2), (20, 2)])
def test_tolerance_grows_with_the_length_of_the_word(length: int, edits: int) -> None:
    assert typos.tolerance(length) == edits


@pytest.mark.parametrize(
    ("typed", "word", "edits"),
    [
        ("nordc", "nordic", 1),  # a letter dropped
        ("imprt", "import", 1),
        ("inport", "import", 1),  # replaced
        ("gotebrog", "goteborg", 1),  # neighbours swapped
        ("nrod", "nord", 1),
        ("fruktimprot", "fruktimport", 1),
        ("frktimprot", "fruktimport", 2),
        ("ab", "ac", None),  # short words must be typed exactly
        ("nrdc", "nordic", None),  # two edits in a six-letter word
        ("frktimprto", "fruktimport", None),  # three
    ],
)
def test_typos_within_tolerance(typed: str, word: str, edits: int | None) -> None:
    assert typos.within_tolerance(typed, word) == edits


def _one_edit(word: str, rng: random.Random) -> str:
    at = rng.randrange(len(word))
    how = rng.randrange(4)
    if how == 0:
        return word[:at] + rng.choice("abcdeo") + word[at:]
    if how == 1:
        return word[:at] + word[at + 1 :]
    if how == 2:
        return word[:at] + rng.choice("abcdeo") + word[at + 1 :]
    return word[:at] + word[at + 1 : at + 2] + word[at : at + 1] + word[at + 2 :]


def test_deletion_keys_find_every_word_within_tolerance() -> None:
    """The index's promise: a typed word within tolerance of a word shares a key with it (what
    the register stores for the word: itself and its deletions)."""
    rng = random.Random(15)
    checked = 0
    for _ in range(5000):
        word = "".join(rng.choice("abcdeorst") for _ in range(rng.randint(2, 14)))
        typed = word
        for _ in range(rng.randint(1, 2)):
            typed = _one_edit(typed, rng)
        if typos.within_tolerance(typed, word) is None:
            continue
        checked += 1
        stored = {word, *typos.deletions(word)}
        assert stored & set(typos.lookup_keys(typed)), (typed, word)
    assert checked > 2000


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE organizations; --",
        "100%",
        "name_with_underscore",
        'say "hi"',
        "a\x00b",
        "<script>",
    ],
)
def test_characters_that_cannot_be_in_a_name_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        query.parse(text)
    assert refused.value.field == "q"


@pytest.mark.parametrize("text", ["!!!", "- / -", "&", "..."])
def test_punctuation_alone_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        query.parse(text)
    assert refused.value.field == "q"


def test_names_with_apostrophes_and_ampersands_are_fine() -> None:
    parsed = query.parse("D'Angelo & Söner (Sverige) AB")
    assert parsed is not None
    assert [w.text for w in parsed.words] == ["dangelo", "soner", "sverige", "ab"]


def test_the_last_word_may_be_a_beginning_while_typing() -> None:
    typing = query.parse("Nordic Imp")
    done = query.parse("Nordic Imp ")
    assert typing is not None
    assert done is not None
    assert typing.words[-1].last
    assert not done.words[-1].last
    # A legal form typed last is a finished, optional word, not the beginning of one.
    last = query.parse("Nordic Import AB").words[-1]  # type: ignore[union-attr]
    assert last.legal_form
    assert not last.last


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("559123-4561", "5591234561"),
        ("5591234561", "5591234561"),
        ("5591234561", "SE559123456101"),  # inside its VAT number
        ("559123456101", "SE559123456101"),  # a VAT number without its prefix
        ("SE 5591 2345 6101", "SE559123456101"),
        ("se5591234561", "SE5591234561"),  # EORI
        ("DE123456789", "DE123456789"),
        ("123456789", "NO123456789MVA"),
    ],
)
def test_identifiers_are_recognised_with_or_without_separators_and_prefix(
    typed: str, stored: str
) -> None:
    assert stored in query.identifier_candidates(typed)


@pytest.mark.parametrize("typed", ["Nordic Import", "24", "Bolaget 24 AB", "AB12"])
def test_names_are_not_taken_for_identifiers(typed: str) -> None:
    assert query.identifier_candidates(typed) == ()
