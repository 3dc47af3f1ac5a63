"""Posted forms: the CSRF check, the fields as typed (kept to show them again), and the wire-shape
checks of the JSON API (its pydantic models) turned into messages beside each field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from gatehouse_common.web_i18n import Translator
from gatehouse_common.web_security import CSRF_FIELD, csrf_ok

# The create-operator form is the largest: 10 addresses, 20 contacts, 10 identifiers, the activity
# and the application, each a handful of fields.
MAX_FIELDS = 200
MAX_FIELD_BYTES = 10_000

FieldErrors = dict[str, str]


@dataclass(frozen=True)
class Form:
    """The posted fields in order (a name may repeat: ticked boxes)."""

    items: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str = "") -> str:
        for key, value in self.items:
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.items)

    def values(self) -> dict[str, str]:
        """The first value of each field, to fill the form in again."""
        first: dict[str, str] = {}
        for key, value in self.items:
            first.setdefault(key, value)
        return first

    def hidden(self, *leave_out: str) -> list[tuple[str, str]]:
        """The fields to carry on as hidden inputs to the next step."""
        skip = {CSRF_FIELD, "action", *leave_out}
        return [(key, value) for key, value in self.items if key not in skip]


async def read_form(request: Request) -> Form | None:
    """The posted fields, or None when the CSRF token is missing or wrong."""
    data = await request.form(max_fields=MAX_FIELDS, max_files=0, max_part_size=MAX_FIELD_BYTES)
    items = tuple((key, value) for key, value in data.multi_items() if isinstance(value, str))
    form = Form(items)
    if not csrf_ok(request, form.get(CSRF_FIELD) or None):
        return None
    return Form(tuple((key, value) for key, value in items if key != CSRF_FIELD))


def optional(value: str) -> str | None:
    """An empty field is "not given" for the API models."""
    cleaned = value.strip()
    return cleaned or None


# Pydantic's error types (the JSON API's models read a form's wire shape) → the code of the
# sentence that says what to do (`error.<code>`, the same sentences as the domain's errors).
CODES = {
    "missing": "required",
    "string_too_short": "required",
    "too_short": "required",
    "uuid_parsing": "choice_required",
    "uuid_type": "choice_required",
    "enum": "choice_required",
    "literal_error": "choice_required",
    "string_pattern_mismatch": "choice_required",
}


def _message(problem: Any, field: str, t: Translator) -> str:
    kind = str(problem["type"])
    loc = problem["loc"]
    context = problem.get("ctx", {})
    if field.endswith("phone") or (field.startswith("contacts-") and "phone" in loc):
        return t("error.invalid_phone")
    if field.endswith("email") or (field.startswith("contacts-") and "email" in loc):
        return t("error.invalid_email")
    if kind == "string_too_long":
        return t("error.too_long", max_length=context.get("max_length", "?"))
    if kind == "too_long":
        return t("error.too_many", maximum=context.get("max_length", "?"))
    if kind.startswith("date"):
        return t("error.invalid_date")
    return t(f"error.{CODES.get(kind, 'invalid_input')}")


def validation_errors(
    error: ValidationError, t: Translator, field_of: Callable[[tuple[Any, ...]], str]
) -> FieldErrors:
    """One message per form field (the first problem found), keyed by `field_of(loc)`."""
    errors: FieldErrors = {}
    for problem in error.errors():
        field = field_of(tuple(problem["loc"]))
        errors.setdefault(field, _message(problem, field, t))
    return errors


def plain_field(loc: tuple[Any, ...]) -> str:
    """`("addresses", 0, "street")` → `addresses-0-street` (the discriminator tags of the
    contacts' union, "phone" and "email", are left out)."""
    parts = [str(part) for part in loc if part not in {"phone", "email"} or part == loc[-1]]
    return "-".join(parts) or "form"
