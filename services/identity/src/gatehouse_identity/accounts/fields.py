"""What a valid name, e-mail address and e-mail language are, for every way an account is
created or changed (the JSON API, the pages, the operating commands)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from gatehouse_identity.languages import EU_LANGUAGES

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Email = Annotated[EmailStr, Field(max_length=254)]


def _known_language(code: str) -> str:
    if code not in EU_LANGUAGES:
        raise ValueError(f"must be one of the 24 EU language codes: {', '.join(EU_LANGUAGES)}")
    return code


LanguageCode = Annotated[
    str, AfterValidator(_known_language), Field(json_schema_extra={"enum": list(EU_LANGUAGES)})
]
