"""What an event handler is, the registry of handlers by event type, and the common helpers.

A handler turns one decoded event into zero or more `Draft`s: which template goes to whom with
which variables. It never renders, stores or sends; the consumer does that in one transaction.
Adding an e-mail for an event = one handler function here + one folder under templates/.
An event that deliberately sends nothing is declared with `silent(...)`, so that every event in
the catalog is accounted for and only unknown or unreadable events are parked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from google.protobuf.message import Message

from gatehouse_common.event_catalog import message_class_for
from gatehouse_common.events import Event
from gatehouse_notifier.directory import Directory, LinkPurpose, Recipient, RefusedError
from gatehouse_notifier.memory import Memory
from gatehouse_notifier.registry import Registry

logger = logging.getLogger(__name__)


class Sender(StrEnum):
    """Which service the message speaks for: its layout and From name."""

    IDENTITY = "identity"
    REGISTRY = "registry"


@dataclass(frozen=True)
class PublicUrls:
    identity: str
    registry: str

    @property
    def sign_in(self) -> str:
        return f"{self.identity}/login"

    @property
    def forgot_password(self) -> str:
        return f"{self.identity}/password/forgot"

    @property
    def account(self) -> str:
        return f"{self.identity}/account"

    @property
    def registry_sign_in(self) -> str:
        return f"{self.registry}/auth/login"

    # Deep links: a registry page sends someone who is not signed in through sign-in and back
    # to the page, so an e-mail links to where the work is, not to the sign-in.
    def registry_user(self, user_id: str) -> str:
        """The page where deciders approve a user's requests and unsuspend their roles."""
        return f"{self.registry}/actors/users/{user_id}"

    def registry_operator(self, operator_id: str) -> str:
        return f"{self.registry}/operators/{operator_id}"

    @property
    def registry_work_list(self) -> str:
        """An authority's list of what waits for it."""
        return f"{self.registry}/authority/work"

    @property
    def registry_profile(self) -> str:
        """The reader's own roles and requests."""
        return f"{self.registry}/profile"


@dataclass(frozen=True)
class HandlerContext:
    event: Event
    directory: Directory
    registry: Registry
    memory: Memory
    urls: PublicUrls


@dataclass(frozen=True)
class Draft:
    """One e-mail to write, or (recipient None) the record of one that cannot be written."""

    template: str
    user_id: str
    recipient: Recipient | None
    variables: Mapping[str, Any] = field(default_factory=dict)
    abandon_reason: str | None = None
    sender: Sender = Sender.IDENTITY


Handler = Callable[[HandlerContext, Message], Awaitable[list[Draft]]]
M = TypeVar("M", bound=Message)

HANDLERS: dict[str, Handler] = {}
# Event types that deliberately produce no message, and why (documentation that tests read).
SILENT: dict[str, str] = {}


def handles(
    event_type: str,
) -> Callable[[Callable[[HandlerContext, M], Awaitable[list[Draft]]]], Handler]:
    """Register the decorated function as the handler of `event_type` (one handler per type)."""
    expected = message_class_for(event_type)

    def register(function: Callable[[HandlerContext, M], Awaitable[list[Draft]]]) -> Handler:
        if event_type in HANDLERS:
            raise ValueError(f"{event_type} already has a handler")

        async def checked(context: HandlerContext, message: Message) -> list[Draft]:
            if not isinstance(message, expected):
                raise TypeError(f"{event_type} carries {expected.__name__}")
            return await function(context, message)  # type: ignore[arg-type]

        checked.__qualname__ = function.__qualname__
        HANDLERS[event_type] = checked
        return checked

    return register


def silent(event_type: str, why: str) -> None:
    """Declare that `event_type` is handled by sending nothing (it is recorded as handled)."""
    message_class_for(event_type)  # a typo must fail at import, not park events at run time

    async def nothing(_context: HandlerContext, _message: Message) -> list[Draft]:
        return []

    if event_type in HANDLERS:
        raise ValueError(f"{event_type} already has a handler")
    HANDLERS[event_type] = nothing
    SILENT[event_type] = why


def common_values(context: HandlerContext, recipient: Recipient) -> dict[str, Any]:
    """Variables every template may use."""
    return {
        "first_name": recipient.first_name,
        "last_name": recipient.last_name,
        "full_name": recipient.full_name,
        "email": recipient.email,
        "event_time": context.event.time,
        "sign_in_url": context.urls.sign_in,
        "forgot_password_url": context.urls.forgot_password,
        "account_url": context.urls.account,
        "registry_url": context.urls.registry_sign_in,
    }


async def draft_for_user(
    context: HandlerContext,
    *,
    user_id: str,
    template: str,
    link_purpose: LinkPurpose | None = None,
    variables: Mapping[str, Any] | None = None,
    sender: Sender = Sender.IDENTITY,
) -> Draft:
    """A draft to the user `user_id`, with a fresh password link if `link_purpose` is given.

    A user identity no longer knows, or who has no address, yields an abandoned draft: retrying
    cannot help, and the record tells an operator why nothing was sent.
    """
    try:
        recipient = await context.directory.get_user(user_id)
    except RefusedError as error:
        return abandoned(template, user_id, f"recipient unknown to identity ({error})", sender)
    if not recipient.email:
        return abandoned(template, user_id, "recipient has no e-mail address", sender)
    values = {**common_values(context, recipient), **(variables or {})}
    if link_purpose is not None:
        try:
            link = await context.directory.create_password_link(
                user_id=user_id, purpose=link_purpose, event_id=context.event.id
            )
        except RefusedError as error:
            reason = f"identity issued no password link ({error})"
            return abandoned(template, user_id, reason, sender)
        values["link_url"] = link.url
        values["link_expires_at"] = link.expires_at
    return Draft(
        template=template, user_id=user_id, recipient=recipient, variables=values, sender=sender
    )


async def drafts_for_users(
    context: HandlerContext,
    *,
    user_ids: Iterable[str],
    template: str,
    variables: Mapping[str, Any] | None = None,
    per_user: Mapping[str, Mapping[str, Any]] | None = None,
    sender: Sender = Sender.REGISTRY,
) -> list[Draft]:
    """The same message to each of `user_ids` (asked of identity in one call), in each one's
    language, with `per_user[user_id]` added to the variables; users identity does not know, or
    without an address, give abandoned drafts."""
    wanted = [user_id for user_id in dict.fromkeys(user_ids) if user_id]
    if not wanted:
        logger.warning(
            "nobody to tell",
            extra={"event_id": context.event.id, "event_type": context.event.type},
        )
        return []
    found = await context.directory.get_users(wanted)
    drafts = []
    for user_id in wanted:
        recipient = found.get(user_id)
        if recipient is None:
            drafts.append(abandoned(template, user_id, "recipient unknown to identity", sender))
        elif not recipient.email:
            drafts.append(abandoned(template, user_id, "recipient has no e-mail address", sender))
        else:
            values = {
                **common_values(context, recipient),
                **(variables or {}),
                **(per_user or {}).get(user_id, {}),
            }
            drafts.append(
                Draft(
                    template=template,
                    user_id=user_id,
                    recipient=recipient,
                    variables=values,
                    sender=sender,
                )
            )
    return drafts


def abandoned(template: str, user_id: str, reason: str, sender: Sender) -> Draft:
    return Draft(
        template=template, user_id=user_id, recipient=None, abandon_reason=reason, sender=sender
    )
