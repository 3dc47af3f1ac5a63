"""`python -m gatehouse_identity users invite …`: operations staff create an account for someone
(a training or demonstration installation, an authority's first user). The person gets the same
e-mail as after signing up themselves and sets their own password from its link; nobody else ever
knows it. No captcha: the command runs on the server, not on the open sign-up page."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from pydantic import TypeAdapter

from gatehouse_common.db import Database
from gatehouse_identity.accounts import service
from gatehouse_identity.accounts.fields import Email
from gatehouse_identity.languages import EU_LANGUAGES
from gatehouse_identity.settings import IdentitySettings

COMMANDS = ("users",)


def add_commands(groups: argparse._SubParsersAction[Any]) -> None:
    users = groups.add_parser("users", help="accounts").add_subparsers(
        dest="command", required=True, metavar="command"
    )
    invite = users.add_parser(
        "invite",
        help="create an account; its owner sets the password from the e-mailed link",
        description="Create an account as the sign-up page would (the same e-mail with the "
        "set-password link goes to the address). An address that has an account already is "
        "told so by e-mail, as on the sign-up page.",
    )
    invite.add_argument(
        "--email", required=True, type=email_address, help="the person's e-mail address"
    )
    invite.add_argument("--first-name", required=True)
    invite.add_argument("--last-name", required=True)
    invite.add_argument(
        "--language", default="sv", choices=sorted(EU_LANGUAGES), help="e-mail language"
    )


def email_address(value: str) -> str:
    """The address, checked as the sign-up page checks it (argparse names it when refused)."""
    checked: str = TypeAdapter(Email).validate_python(value)
    return checked


def run(args: argparse.Namespace, settings: IdentitySettings) -> int:
    asyncio.run(_invite(args, settings))
    sys.stdout.write(f"Invited {args.email}: the set-password link is on its way by e-mail.\n")
    return 0


async def _invite(args: argparse.Namespace, settings: IdentitySettings) -> None:
    database = await Database.open(settings.database_url, min_size=1, max_size=2)
    try:
        await service.create_account(
            database,
            email=args.email,
            first_name=args.first_name,
            last_name=args.last_name,
            email_language=args.language,
            privacy_statement_version=settings.privacy_statement_version,
            # Run on the server by operations staff, not on the open sign-up page.
            captcha_required=False,
            captcha_id=None,
            captcha_answer=None,
        )
    finally:
        await database.close()
