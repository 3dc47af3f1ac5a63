"""Web-service access requests and machine clients, as the registry keeps them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# What a machine client may be granted (identity's clients.MACHINE_SCOPES).
SCOPES = ("operators.read", "roles.read")


class AccessStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class ClientStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class AuthMethod(StrEnum):
    PRIVATE_KEY_JWT = "private_key_jwt"
    CLIENT_SECRET = "client_secret_basic"  # noqa: S105 (a method's name)


@dataclass(frozen=True)
class NewAccessRequest:
    system_name: str
    contact_email: str
    purpose: str


@dataclass(frozen=True)
class AccessRequest:
    id: uuid.UUID
    operator_id: uuid.UUID
    operator_name: str
    competent_authority_id: uuid.UUID | None
    requested_by: uuid.UUID
    system_name: str
    contact_email: str
    purpose: str
    status: AccessStatus
    requested_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None


@dataclass(frozen=True)
class MachineClient:
    client_id: str
    operator_id: uuid.UUID
    request_id: uuid.UUID
    auth_method: AuthMethod
    scopes: tuple[str, ...]
    status: ClientStatus
    created_by: uuid.UUID
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None


@dataclass(frozen=True)
class CreatedClient:
    """A new client; its secret (client_secret_basic) is here this once and kept nowhere."""

    client: MachineClient
    client_secret: str | None


@dataclass(frozen=True)
class MachineCaller:
    """Who calls the machine API: a client_credentials token's client, operator and scopes."""

    client_id: str
    operator_id: uuid.UUID
    scopes: frozenset[str]
