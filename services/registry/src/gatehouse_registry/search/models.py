"""What a search answers: the hits of a page, how each matched, and "Did you mean …"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from gatehouse_registry.operators.models import ActivitySummary, OrganizationStatus


class Match(StrEnum):
    """How a hit matched what was typed, best first."""

    IDENTIFIER = "identifier"  # an organisation, VAT or EORI number typed
    NAME = "name"  # the same words (legal form, punctuation and order aside)
    WORDS = "words"  # every word typed, as typed (the last one may be begun)
    TYPOS = "typos"  # every word typed, within the typo tolerance
    SOME_WORDS = "some_words"  # only some of the words: shown when no operator has them all
    FILTERS = "filters"  # no text typed: the filters alone


@dataclass(frozen=True)
class SearchHit:
    id: uuid.UUID
    name: str
    status: OrganizationStatus
    address: str
    activities: tuple[ActivitySummary, ...]
    match: Match


@dataclass(frozen=True)
class SearchPage:
    items: tuple[SearchHit, ...]
    page: int
    page_size: int
    # The hits with every word typed, counted up to a cap (beyond it, total_is_exact is False).
    total: int
    total_is_exact: bool
    # Whether there are hits after this page.
    more: bool
    # A name that has every word of a corrected query, when no hit has every word typed.
    suggestion: str | None = None
