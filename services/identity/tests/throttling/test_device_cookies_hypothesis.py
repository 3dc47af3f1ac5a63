"""Property tests for device cookies (OWASP): any cookie is its own device's bucket or the
unknown clients' one, and an issued cookie names its device for that login only."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gatehouse_identity.throttling.devices import (
    UNKNOWN_CLIENTS,
    failure_bucket,
    issue_device_cookie,
)

KEY = b"device-cookie:test-key"
# Everything a header, a cookie or a JSON string can carry, surrogates included.
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)


@settings(max_examples=300)
@given(cookie=st.one_of(st.none(), ANY_TEXT), email=ANY_TEXT)
@example(cookie="v1.abc.é", email="anna@example.se")
@example(cookie="v1.abc.\ud800", email="anna@example.se")
@example(cookie="v1.nonce.sig", email="\ud800")
def test_any_device_cookie_is_its_device_or_unknown(cookie: str | None, email: str) -> None:
    bucket = failure_bucket(KEY, cookie=cookie, email=email)
    assert bucket == UNKNOWN_CLIENTS or bucket.startswith("device:")


@given(st.emails())
def test_issued_device_cookies_name_their_device_for_that_login_only(email: str) -> None:
    cookie = issue_device_cookie(KEY, email=email)
    assert (
        failure_bucket(KEY, cookie=cookie, email=email.upper()) == f"device:{cookie.split('.')[1]}"
    )
    assert failure_bucket(KEY, cookie=cookie, email="other" + email) == UNKNOWN_CLIENTS
    assert failure_bucket(b"another key", cookie=cookie, email=email) == UNKNOWN_CLIENTS
