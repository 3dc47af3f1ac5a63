"""Wire shapes the JSON API's capabilities share: strict request bodies, a phone number, an
e-mail address, and the bodies of decisions (with an optional reason, or one that must say why)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints


class StrictModel(BaseModel):
    """Request bodies refuse unknown fields: a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# International format, as the manual's example "+32 02 123456".
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+[0-9][0-9 ()-]{5,24}$")
]
Email = Annotated[EmailStr, Field(max_length=254)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class DecisionIn(StrictModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


def optional_reason(body: DecisionIn | None) -> str | None:
    """The reason of a decision whose body (and reason) may be left out."""
    return body.reason if body else None


class RejectionIn(StrictModel):
    reason: Reason
