"""What an event handler is, the registry of handlers by event type, and the common helper.

A handler turns one decoded event into zero or more `Draft`s: which template goes to whom with
which variables. It never renders, stores or sends; the consumer does that in one transaction.
Adding an e-mail for an event = one handler function here + one folder under templates/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.protobuf.message import Message

from gatehouse_common.event_catalog import message_class_for
from gatehouse_common.events import Event
from gatehouse_notifier.directory import Directory, LinkPurpose, Recipient, RefusedError


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


@dataclass(frozen=True)
class HandlerContext:
    event: Event
    directory: Directory
    urls: PublicUrls


@dataclass(frozen=True)
class Draft:
    """One e-mail to write, or (recipient None) the record of one that cannot be written."""

    template: str
    user_id: str
    recipient: Recipient | None
    variables: Mapping[str, Any] = field(default_factory=dict)
    abandon_reason: str | None = None


Handler = Callable[[HandlerContext, Message], Awaitable[list[Draft]]]
M = TypeVar("M", bound=Message)

HANDLERS: dict[str, Handler] = {}


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


async def draft_for_user(
    context: HandlerContext,
    *,
    user_id: str,
    template: str,
    link_purpose: LinkPurpose | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Draft:
    """A draft to the user `user_id`, with a fresh password link if `link_purpose` is given.

    A user identity no longer knows, or who has no address, yields an abandoned draft: retrying
    cannot help, and the record tells an operator why nothing was sent.
    """
    try:
        recipient = await context.directory.get_user(user_id)
    except RefusedError as error:
        return _abandoned(template, user_id, f"recipient unknown to identity ({error})")
    if not recipient.email:
        return _abandoned(template, user_id, "recipient has no e-mail address")
    values: dict[str, Any] = {
        "first_name": recipient.first_name,
        "last_name": recipient.last_name,
        "full_name": recipient.full_name,
        "email": recipient.email,
        "event_time": context.event.time,
        "sign_in_url": context.urls.sign_in,
        "forgot_password_url": context.urls.forgot_password,
        **(variables or {}),
    }
    if link_purpose is not None:
        try:
            link = await context.directory.create_password_link(
                user_id=user_id, purpose=link_purpose, event_id=context.event.id
            )
        except RefusedError as error:
            return _abandoned(template, user_id, f"identity issued no password link ({error})")
        values["link_url"] = link.url
        values["link_expires_at"] = link.expires_at
    return Draft(template=template, user_id=user_id, recipient=recipient, variables=values)


def _abandoned(template: str, user_id: str, reason: str) -> Draft:
    return Draft(template=template, user_id=user_id, recipient=None, abandon_reason=reason)
