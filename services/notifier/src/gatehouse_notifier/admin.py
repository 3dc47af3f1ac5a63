"""`messages list|retry|discard` and `deadletters list|replay`: what an operator needs when
mail is stuck or events were parked."""

from __future__ import annotations

import argparse
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

import nats
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from gatehouse_common.db import Database
from gatehouse_notifier import operations
from gatehouse_notifier.consumer import (
    DETAIL_HEADER,
    REASON_HEADER,
    SUBJECT_HEADER,
    deadletter_subject,
)
from gatehouse_notifier.context import NotifierContext
from gatehouse_notifier.messages import MessageSummary, Status
from gatehouse_notifier.settings import NotifierSettings

DEADLETTER_HEADERS = {REASON_HEADER, DETAIL_HEADER, SUBJECT_HEADER, "nats-msg-id"}


def add_arguments(subparsers: argparse._SubParsersAction[Any]) -> None:
    messages = subparsers.add_parser("messages", help="inspect and repair outgoing e-mails")
    actions = messages.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="newest messages first")
    listing.add_argument("--status", choices=[s.value for s in Status])
    listing.add_argument("--limit", type=int, default=50)
    retry = actions.add_parser("retry", help="queue a failed or abandoned message again")
    retry.add_argument("id", type=uuid.UUID)
    discard = actions.add_parser("discard", help="give up on a queued or failed message")
    discard.add_argument("id", type=uuid.UUID)

    parked = subparsers.add_parser("deadletters", help="inspect and replay parked events")
    parked_actions = parked.add_subparsers(dest="action", required=True)
    parked_list = parked_actions.add_parser("list", help="parked events, oldest first")
    parked_list.add_argument("--limit", type=int, default=100)
    replay = parked_actions.add_parser(
        "replay", help="publish parked events again on their subject and remove them"
    )
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("sequences", nargs="*", type=int, default=[], metavar="SEQUENCE")
    which.add_argument("--all", action="store_true")

    reminders = subparsers.add_parser("reminders", help="reminders of waiting role requests")
    reminder_actions = reminders.add_subparsers(dest="action", required=True)
    reminder_actions.add_parser(
        "send-due", help="remind deciders of requests that waited too long, now"
    )


async def run(
    settings: NotifierSettings, args: argparse.Namespace, out: TextIO = sys.stdout
) -> int:
    """Run one `messages` or `deadletters` action; the process exit code."""
    command = getattr(args, "command", "messages")
    if command == "deadletters":
        return await run_deadletters(settings, args, out)
    if command == "reminders":
        return await run_reminders(settings, out)
    return await run_messages(settings, args, out)


async def run_reminders(settings: NotifierSettings, out: TextIO) -> int:
    context = await NotifierContext.open(settings)
    try:
        sent = await context.reminders().run_once()
    finally:
        await context.close()
    out.write(f"{sent} reminder(s) queued\n")
    return 0


async def run_messages(settings: NotifierSettings, args: argparse.Namespace, out: TextIO) -> int:
    database = await Database.open(settings.database_url, min_size=1, max_size=2)
    try:
        if args.action == "list":
            status = Status(args.status) if args.status else None
            rows = await operations.recent(database, status=status, limit=args.limit)
            out.write(format_table(rows))
            return 0
        change = operations.retry if args.action == "retry" else operations.discard
        refusal = await change(database, args.id)
    finally:
        await database.close()
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


# ------------------------------------------------------------------------------ dead letters


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    reason: str
    detail: str
    subject: str
    event_type: str
    event_id: str
    headers: dict[str, str]
    data: bytes


async def list_dead_letters(settings: NotifierSettings, *, limit: int) -> list[DeadLetter]:
    nc = await nats.connect(settings.nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        return await _dead_letters(nc, settings, limit=limit)
    finally:
        await nc.close()


async def replay_dead_letters(
    settings: NotifierSettings, *, sequences: list[int] | None
) -> list[tuple[int, str]]:
    """Publish parked events (all, or those sequences) on their own subject again and delete
    them from the dead-letter subject; (sequence, what happened) for each."""
    nc = await nats.connect(settings.nats_url, connect_timeout=5, max_reconnect_attempts=1)
    done: list[tuple[int, str]] = []
    try:
        parked = await _dead_letters(nc, settings, limit=None)
        by_sequence = {letter.sequence: letter for letter in parked}
        wanted = sorted(by_sequence) if sequences is None else sequences
        js = nc.jetstream()
        for sequence in wanted:
            letter = by_sequence.get(sequence)
            if letter is None:
                done.append((sequence, "no parked event with that sequence"))
                continue
            if not letter.subject:
                done.append((sequence, "the original subject is unknown; left parked"))
                continue
            headers = {
                key: value
                for key, value in letter.headers.items()
                if key.lower() not in DEADLETTER_HEADERS
            }
            # A new id: the original may still be inside the stream's duplicate window.
            headers["Nats-Msg-Id"] = f"replay.{settings.events_stream}.{sequence}"
            await js.publish(
                letter.subject, letter.data, stream=settings.events_stream, headers=headers
            )
            await js.delete_msg(settings.events_stream, sequence)
            done.append((sequence, f"replayed on {letter.subject}"))
    finally:
        await nc.close()
    return done


async def _dead_letters(
    nc: Client, settings: NotifierSettings, *, limit: int | None
) -> list[DeadLetter]:
    js = nc.jetstream()
    subject = deadletter_subject(settings.events_subject_prefix)
    found: list[DeadLetter] = []
    sequence = 1
    while limit is None or len(found) < limit:
        try:
            raw = await js.get_msg(settings.events_stream, seq=sequence, subject=subject, next=True)
        except NotFoundError:
            break
        headers = dict(raw.headers or {})
        found.append(
            DeadLetter(
                sequence=raw.seq or sequence,
                reason=headers.get(REASON_HEADER, ""),
                detail=headers.get(DETAIL_HEADER, ""),
                subject=headers.get(SUBJECT_HEADER, ""),
                event_type=headers.get("ce-type", ""),
                event_id=headers.get("ce-id", ""),
                headers=headers,
                data=raw.data or b"",
            )
        )
        sequence = (raw.seq or sequence) + 1
    return found


async def run_deadletters(settings: NotifierSettings, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "list":
        letters = await list_dead_letters(settings, limit=args.limit)
        lines = [("sequence", "reason", "event type", "event id", "detail")]
        lines += [
            (str(d.sequence), d.reason, d.event_type or "-", d.event_id or "-", d.detail[:80])
            for d in letters
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        for line in lines:
            out.write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
            out.write("\n")
        return 0
    results = await replay_dead_letters(
        settings, sequences=None if args.all else list(args.sequences)
    )
    out.writelines(f"{sequence}: {outcome}\n" for sequence, outcome in results)
    return 0 if all(o.startswith("replayed") for _, o in results) else 1
