"""What a newcomer meets on the pages (issue 14), checked over HTTP where no browser is needed."""

from __future__ import annotations

import httpx
import pytest

from gatehouse_devstack.stack import Stack

pytestmark = pytest.mark.stack


def test_no_eid_button_without_an_eid_upstream(stack: Stack) -> None:
    """`make run` configures no eID broker: "Sign in with eID" would lead nowhere."""
    assert not stack.env_for("identity").get("EID_PROVIDERS")
    page = httpx.get(f"{stack.identity_url}/login", timeout=10)
    assert page.status_code == 200
    assert "/eid/login" not in page.text
