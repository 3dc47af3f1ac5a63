"""`messages list|retry|discard`: what an operator needs when mail is stuck."""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import datetime
from typing import TextIO

from gatehouse_common.db import create_pool
from gatehouse_notifier import store
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.store import MessageSummary, Status


def add_arguments(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    messages = subparsers.add_parser("messages", help="inspect and repair outgoing e-mails")
    actions = messages.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="newest messages first")
    listing.add_argument("--status", choices=[s.value for s in Status])
    listing.add_argument("--limit", type=int, default=50)
    retry = actions.add_parser("retry", help="queue a failed or abandoned message again")
    retry.add_argument("id", type=uuid.UUID)
    discard = actions.add_parser("discard", help="give up on a queued or failed message")
    discard.add_argument("id", type=uuid.UUID)


async def run(
    settings: NotifierSettings, args: argparse.Namespace, out: TextIO = sys.stdout
) -> int:
    """Run one `messages` action; the process exit code."""
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        if args.action == "list":
            status = Status(args.status) if args.status else None
            rows = await store.list_messages(pool, status=status, limit=args.limit)
            out.write(format_table(rows))
            return 0
        change = store.retry_message if args.action == "retry" else store.discard_message
        refusal = await change(pool, args.id)
    finally:
        await pool.close()
    if refusal is not None:
        out.write(f"{args.id}: {refusal}\n")
        return 1
    out.write(f"{args.id}: {'queued again' if args.action == 'retry' else 'discarded'}\n")
    return 0


def format_table(rows: list[MessageSummary]) -> str:
    header = (
        "id",
        "status",
        "attempts",
        "template",
        "lang",
        "recipient",
        "created",
        "next/sent",
        "last error",
    )
    lines = [header]
    for row in rows:
        when = row.sent_at if row.status == Status.SENT else row.next_attempt_at
        lines.append(
            (
                str(row.id),
                row.status,
                str(row.attempts),
                row.template,
                row.language or "-",
                row.recipient_email or "-",
                _time(row.created_at),
                _time(when),
                (row.last_error or "")[:80],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
    return text + "\n"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S%z") if value else "-"
