"""Where the mailbox keeps what it receives: one append-only spool file, parsed only when read.

Each message is one write to `mailbox.spool`: a line of JSON (the envelope and the text's size),
then the raw text and a newline. Nothing is parsed or created per message, so the sink takes
mail about as fast as a relay would (a file per message and parsing on arrival cost 0.2 and
5 ms of CPU per e-mail, more than the notifier sending it). A message is parsed the first time
the inbox or the API shows it, and kept parsed. The spool survives a restart; a record cut off
by a crash is the last one and is dropped on loading.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatehouse_devstack.mail import Message, parse_message

SPOOL_FILE = "mailbox.spool"


@dataclass(frozen=True)
class Envelope:
    """What the SMTP conversation said about a message, and where its text is in the spool."""

    id: str
    envelope_from: str
    envelope_recipients: list[str]
    received_at: datetime
    offset: int
    size: int

    def header_line(self) -> bytes:
        """The record's first line (the offset is where the record is, so not in it)."""
        data = {
            "id": self.id,
            "from": self.envelope_from,
            "to": self.envelope_recipients,
            "received_at": self.received_at.isoformat(),
            "size": self.size,
        }
        return json.dumps(data).encode() + b"\n"

    @classmethod
    def from_header_line(cls, line: bytes, offset: int) -> Envelope:
        data: dict[str, Any] = json.loads(line)
        return cls(
            id=data["id"],
            envelope_from=data["from"],
            envelope_recipients=data["to"],
            received_at=datetime.fromisoformat(data["received_at"]),
            offset=offset,
            size=int(data["size"]),
        )


class MailStore:
    """The spool on disk and the envelopes in memory; safe to use from several threads."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path = self.directory / SPOOL_FILE
        self._lock = threading.Lock()
        self._envelopes, self._end = self._load()
        self._parsed: dict[str, Message] = {}
        # Unbuffered: each record is one write(2), complete in the file when save() returns.
        self._spool = self._path.open("ab", buffering=0)
        self._spool.truncate(self._end)  # a record cut off by a crash

    def save(self, raw: bytes, envelope_from: str, envelope_recipients: list[str]) -> Envelope:
        received_at = datetime.now(UTC)
        # Sortable by arrival; the random suffix keeps ids unique within one microsecond.
        message_id = f"{received_at:%Y%m%d%H%M%S%f}-{secrets.token_hex(3)}"
        with self._lock:
            envelope = Envelope(
                message_id, envelope_from, envelope_recipients, received_at, -1, len(raw)
            )
            header = envelope.header_line()
            envelope = replace(envelope, offset=self._end + len(header))
            self._spool.write(header + raw + b"\n")
            self._end = envelope.offset + envelope.size + 1
            self._envelopes[message_id] = envelope
        return envelope

    def all(self) -> list[Message]:
        """Every message, oldest first."""
        with self._lock:
            ids = list(self._envelopes)
        return [message for message in map(self.get, ids) if message is not None]

    def get(self, message_id: str) -> Message | None:
        with self._lock:
            envelope = self._envelopes.get(message_id)
            parsed = self._parsed.get(message_id)
        if envelope is None or parsed is not None:
            return parsed
        parsed = parse_message(
            self._read(envelope),
            message_id=envelope.id,
            envelope_from=envelope.envelope_from,
            envelope_recipients=envelope.envelope_recipients,
            received_at=envelope.received_at,
        )
        with self._lock:
            if message_id in self._envelopes:  # not emptied meanwhile
                self._parsed[message_id] = parsed
        return parsed

    def raw(self, message_id: str) -> bytes | None:
        with self._lock:
            envelope = self._envelopes.get(message_id)
        return None if envelope is None else self._read(envelope)

    def clear(self) -> None:
        with self._lock:
            self._spool.truncate(0)
            self._end = 0
            self._envelopes.clear()
            self._parsed.clear()

    def close(self) -> None:
        self._spool.close()

    def _read(self, envelope: Envelope) -> bytes:
        with self._path.open("rb") as spool:
            return os.pread(spool.fileno(), envelope.size, envelope.offset)

    def _load(self) -> tuple[dict[str, Envelope], int]:
        """The envelopes in the spool, and where its last complete record ends."""
        envelopes: dict[str, Envelope] = {}
        if not self._path.exists():
            return envelopes, 0
        good = 0
        with self._path.open("rb") as spool:
            end = spool.seek(0, os.SEEK_END)
            spool.seek(0)
            while line := spool.readline():
                try:
                    envelope = Envelope.from_header_line(line, spool.tell())
                except (ValueError, KeyError):
                    break  # not a header line: a record cut off by a crash
                if envelope.offset + envelope.size + 1 > end:
                    break
                envelopes[envelope.id] = envelope
                good = spool.seek(envelope.size + 1, os.SEEK_CUR)
        return envelopes, good
