"""What the second-factor code needs besides the database: settings, the encryption box, the
SMS sender and a clock (injectable, so tests can stand on either side of the SMS sunset). The
HTTP application makes one at start (app.state.mfa)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from gatehouse_identity.mfa.crypto import SecretBox
from gatehouse_identity.mfa.sms_senders import HttpSmsSender, LogSmsSender, SmsSender
from gatehouse_identity.settings import IdentitySettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class MfaRuntime:
    settings: IdentitySettings
    box: SecretBox
    sms_sender: SmsSender
    clock: Callable[[], datetime] = field(default=utc_now)

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> MfaRuntime:
        box = SecretBox.from_settings(
            settings.second_factor_encryption_keys.get_secret_value(),
            settings.secret_key.get_secret_value(),
        )
        sender: SmsSender
        if settings.sms_provider == "http":
            sender = HttpSmsSender(
                url=settings.sms_http_url,
                token=settings.sms_http_token.get_secret_value(),
                timeout_s=settings.sms_http_timeout_s,
            )
        else:
            sender = LogSmsSender()
        return cls(settings=settings, box=box, sms_sender=sender)

    def now(self) -> datetime:
        return self.clock()

    def recently(self, moment: datetime | None) -> bool:
        """True when `moment` (a second factor proved) is fresh enough for the last strong
        method's removal or a `fresh=1` sign-in."""
        if moment is None:
            return False
        return self.now() - moment <= timedelta(seconds=self.settings.fresh_second_factor_s)

    @property
    def sms_allowed(self) -> bool:
        """SMS is a second factor only before the sunset date (a UTC calendar day)."""
        return self.now().date() < self.settings.sms_sunset_date

    @property
    def code_key(self) -> bytes:
        """Key for hashing short codes (SMS): derived from SECRET_KEY, separate purpose."""
        return b"gatehouse-sms-code:" + self.settings.secret_key.get_secret_value().encode()

    @property
    def rp_id(self) -> str:
        return self.settings.webauthn_rp_id or (urlsplit(self.settings.public_url).hostname or "")

    @property
    def origins(self) -> list[str]:
        if self.settings.webauthn_origins:
            return list(self.settings.webauthn_origins)
        parts = urlsplit(self.settings.public_url)
        return [f"{parts.scheme}://{parts.netloc}"]
