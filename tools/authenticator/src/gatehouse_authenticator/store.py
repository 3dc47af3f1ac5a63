"""What the phone keeps per registered account: the device key (private), the device token,
the OCRA key. Never the PIN: it is typed each time and only its proofs leave the phone.

A real app keeps the private key in the platform's keystore; this reference app keeps it in a
JSON file readable by its owner only (mode 0600), or in memory.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Device:
    device_id: uuid.UUID
    user_id: uuid.UUID
    server: str
    account: str
    device_token: str
    key_type: str
    private_key_pem: str
    ocra_key: str
    ocra_suite: str

    def to_json(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Device:
        return cls(
            device_id=uuid.UUID(data["device_id"]),
            user_id=uuid.UUID(data["user_id"]),
            server=data["server"],
            account=data["account"],
            device_token=data["device_token"],
            key_type=data["key_type"],
            private_key_pem=data["private_key_pem"],
            ocra_key=data["ocra_key"],
            ocra_suite=data["ocra_suite"],
        )


class DeviceStore:
    """The app's registrations, in a file (`path`) or in memory (`path=None`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._devices: list[Device] = []
        if path is not None and path.exists():
            data = json.loads(path.read_text("utf-8"))
            self._devices = [Device.from_json(item) for item in data.get("devices", [])]

    def all(self) -> list[Device]:
        return list(self._devices)

    def add(self, device: Device) -> None:
        self._devices.append(device)
        self._save()

    def remove(self, device_id: uuid.UUID) -> None:
        self._devices = [d for d in self._devices if d.device_id != device_id]
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        # Created owner-only before anything secret is written into it.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"devices": [d.to_json() for d in self._devices]}, handle, indent=2)
        temporary.replace(self.path)
