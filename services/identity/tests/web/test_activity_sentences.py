"""Every kind of security event has a sentence in Swedish and English: the walk of issue 14
found "activity.kind.profile.updated" shown raw on the security activity page."""

from __future__ import annotations

import pytest

from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.web.i18n import Translator


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_security_event_kind_has_a_sentence(language: str) -> None:
    t = Translator(language)
    missing = [kind.value for kind in AuditKind if not t.has(f"activity.kind.{kind.value}")]
    assert not missing, missing
