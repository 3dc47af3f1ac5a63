"""The text bodies' line filling is textwrap's, line for line, only faster."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse_notifier.rendering import fill

WORDS = st.sampled_from(
    [
        "a",
        "och",
        "lösenordet",
        "https://identity.test/password/set?token=" + "x" * 60,
        "é\u0301",
        "\xa0",
        "ord-med-bindestreck",
        "👩‍💻",
        "1.",
        "-",
        "x" * 90,
    ]
)
SPACES = st.sampled_from([" ", "  ", "\t", " \t ", "\r", "\x0b", "\x0c"])
TEXTS = st.lists(st.tuples(WORDS, SPACES), max_size=60).map(
    lambda pairs: "".join(word + space for word, space in pairs)
)


@settings(max_examples=2000, deadline=None)
@given(
    text=st.one_of(TEXTS, st.text(max_size=300)),
    width=st.integers(min_value=5, max_value=90),
    indent=st.sampled_from(["", "  ", "   ", "\t"]),
)
def test_fill_is_textwraps(text: str, width: int, indent: str) -> None:
    expected = textwrap.fill(
        text,
        width=width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    assert fill(text, width=width, subsequent_indent=indent) == expected
