"""Notifier settings (environment variables)."""

from __future__ import annotations

from email.utils import parseaddr
from enum import StrEnum
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from gatehouse_common.settings import ServiceSettings


class SmtpTls(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class NotifierSettings(ServiceSettings):
    service_name: str = "notifier"
    http_port: int = 8003
    # MessageService (identity's *My data* asks it for a user's e-mail history).
    grpc_port: int = 50053

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_tls: SmtpTls = SmtpTls.NONE
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    mail_from: str = "Authentication service <no-reply@gatehouse.localhost>"
    # Times in e-mails (link expiry, when a password changed) are shown in this zone.
    mail_timezone: str = "Europe/Stockholm"

    identity_grpc_target: str = "127.0.0.1:50051"
    registry_grpc_target: str = "127.0.0.1:50052"
    identity_public_url: str = "http://127.0.0.1:8001"
    registry_public_url: str = "http://127.0.0.1:8002"

    notifier_consumer: str = "notifier"
    consumer_batch_size: int = Field(default=100, ge=1, le=256)
    # A redelivered message is only counted as handled by JetStream once acked; a handler slower
    # than this is redelivered to another replica (which then waits on the handled_events row).
    consumer_ack_wait_s: float = Field(default=60.0, gt=0)
    # A message whose handler keeps raising an unexpected error is parked after this many tries.
    consumer_max_handler_failures: int = Field(default=5, ge=1)
    consumer_pending_refresh_s: float = Field(default=15.0, gt=0)

    # Backoff for SMTP retries; the consumer reuses it for transient failures (nak delay).
    delivery_retry_base_s: float = Field(default=1.0, gt=0)
    delivery_retry_max_s: float = Field(default=60.0, gt=0)
    delivery_max_attempts: int = Field(default=12, ge=1)

    # Messages a courier claims and sends in one round (one transaction, one SMTP connection).
    # A crash between a 250 and the round's commit sends that round's answered ones again.
    courier_batch_size: int = Field(default=50, ge=1, le=500)
    # Couriers per process, each with its own SMTP connection and database connection.
    courier_concurrency: int = Field(default=4, ge=1, le=64)
    courier_poll_s: float = Field(default=2.0, gt=0)
    # A courier's SMTP connection is closed (QUIT) after it has had no work for this long.
    smtp_idle_s: float = Field(default=15.0, gt=0)

    # Deciders of a pending role request are reminded once it has waited this long, then again
    # every ROLE_REQUEST_REMINDER_REPEAT_DAYS, at most ROLE_REQUEST_MAX_REMINDERS times (0: never).
    role_request_reminder_days: float = Field(default=7.0, gt=0)
    role_request_reminder_repeat_days: float = Field(default=7.0, gt=0)
    role_request_max_reminders: int = Field(default=3, ge=0, le=100)
    reminder_check_interval_s: float = Field(default=900.0, gt=0)
    # What the notifier remembers of a new operator (who created it) is forgotten after this long.
    operator_memory_days: int = Field(default=365, ge=1)

    housekeeping_interval_s: float = Field(default=3600.0, gt=0)
    # Longer than the stream's max age (14 days): a message still in the stream must be recognised.
    handled_events_retention_days: int = Field(default=30, ge=15)
    # Bodies carry single-use links; once the links have expired the text is of no use to anyone.
    message_body_retention_hours: int = Field(default=48, ge=1)

    @field_validator("identity_public_url", "registry_public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("mail_from")
    @classmethod
    def _has_address(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError("MAIL_FROM must contain an e-mail address")
        return value

    @field_validator("mail_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.delivery_retry_max_s < self.delivery_retry_base_s:
            raise ValueError("DELIVERY_RETRY_MAX_S must be at least DELIVERY_RETRY_BASE_S")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("set both SMTP_USERNAME and SMTP_PASSWORD, or neither")
        return self

    @property
    def mail_from_address(self) -> str:
        return parseaddr(self.mail_from)[1]

    @property
    def service_auth_key(self) -> bytes:
        return self.service_auth_secret.get_secret_value().encode()
