"""OAuth 2.0 / OpenID Connect errors, named by their standard codes (RFC 6749 §4.1.2.1 and §5.2,
RFC 6750 §3.1, OpenID Connect Core §3.1.2.6)."""

from __future__ import annotations


class OAuthError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        *,
        status_code: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status_code = status_code
        # Sent with the error, e.g. a fresh DPoP-Nonce with use_dpop_nonce (RFC 9449 §8).
        self.headers = headers or {}

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_client(description: str = "client authentication failed") -> OAuthError:
    return OAuthError("invalid_client", description, status_code=401)
