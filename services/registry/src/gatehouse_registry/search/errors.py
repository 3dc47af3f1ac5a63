"""What the search box refuses, each with a stable `code` (the key of the sentence a page shows).
Too long a text is the registry's TooLongError."""

from __future__ import annotations

from gatehouse_registry.errors import InvalidInputError


class SearchTextCharactersError(InvalidInputError):
    """A character no name or number has (`;`, `%`, quotes, brackets, control characters)."""

    code = "search_text_characters"

    def __init__(self, *, field: str, character: str) -> None:
        super().__init__(
            f"{character!r} cannot be part of a name: use letters, digits, spaces and "
            "& ' . , - / ( ) + :",
            field=field,
            character=character,
        )


class SearchTextEmptyError(InvalidInputError):
    """Punctuation alone: nothing to search for."""

    code = "search_text_empty"

    def __init__(self, *, field: str) -> None:
        super().__init__("type letters or digits of a name or a number", field=field)
