"""What a new-device notice names as the place and the browser: the network, never the address,
and the browser in words that read the same in Swedish and English."""

from __future__ import annotations

import pytest

from gatehouse_identity.sign_in.notices import browser_of, network_of


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),  # an IPv4 client seen through IPv6
        (" 192.0.2.1 ", "192.0.2.0/24"),
        ("not an address", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_the_place_is_the_network_of_the_address(address: str | None, network: str) -> None:
    assert network_of(address) == network


def test_the_browser_is_named_by_family_version_and_system() -> None:
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    assert browser_of(firefox) == "Firefox 128, Windows 10"
    assert browser_of(None) == ""
    assert browser_of("x" * 10_000) == ""  # junk names nothing known, and never raises
