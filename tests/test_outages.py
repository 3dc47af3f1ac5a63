"""Nothing is lost and nothing is sent twice when NATS or SMTP is down for a while."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import identity_client, request_account, unique_email

pytestmark = pytest.mark.stack


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def _deliveries(mailbox: MailboxClient, addresses: list[str]) -> Counter[str]:
    wanted = set(addresses)
    return Counter(
        recipient
        for message in mailbox.messages()
        for recipient in message.envelope_recipients
        if recipient in wanted
    )


def test_accounts_created_while_nats_is_down_get_their_email_exactly_once(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    if stack.nats is None:
        pytest.skip("NATS_URL is set: that server is not ours to stop")
    stack.stop_component("nats")
    try:
        addresses = [unique_email("outage-nats") for _ in range(5)]
        for address in addresses:
            assert request_account(client, email=address).status_code == 202
        time.sleep(1)
        assert _deliveries(mailbox, addresses) == Counter()
    finally:
        stack.start_component("nats")
    for address in addresses:
        mailbox.wait_for(to=address, timeout=60)
    time.sleep(2)  # anything duplicated would have arrived by now
    assert _deliveries(mailbox, addresses) == Counter(dict.fromkeys(addresses, 1))


def test_emails_queued_while_smtp_is_down_are_delivered_once_it_returns(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    stack.stop_component("mailbox")
    try:
        addresses = [unique_email("outage-smtp") for _ in range(3)]
        for address in addresses:
            assert request_account(client, email=address).status_code == 202
        time.sleep(3)  # the notifier tries, fails and schedules retries
    finally:
        stack.start_component("mailbox")
    for address in addresses:
        mailbox.wait_for(to=address, timeout=90)
    time.sleep(2)
    assert _deliveries(mailbox, addresses) == Counter(dict.fromkeys(addresses, 1))
