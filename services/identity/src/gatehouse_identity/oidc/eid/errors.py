"""Why an eID sign-in or link did not work (the sentences are `error.<code>`)."""

from __future__ import annotations

from gatehouse_identity.errors import IdentityError, Kind


class EidError(IdentityError):
    """Base of the eID errors."""

    code = "eid_failed"


class EidFailedError(EidError):
    """A callback that is forged, replayed, expired, from another browser, or that the broker
    answered with something we cannot accept."""

    code = "eid_failed"


class EidCancelledError(EidError):
    code = "eid_cancelled"


class EidUnknownProviderError(EidError):
    code = "eid_unknown_provider"
    kind = Kind.NOT_FOUND


class EidUnavailableError(EidError):
    """The broker cannot be reached (its metadata or keys)."""

    code = "eid_unavailable"
    kind = Kind.CONFLICT


class EidAssuranceUnknownError(EidError):
    """The broker's `acr` is not one EID_PROVIDERS maps: assurance is never guessed upwards."""

    code = "eid_assurance_unknown"


class EidNotLinkedError(EidError):
    code = "eid_not_linked"
    kind = Kind.PERMISSION_DENIED


class EidAccountUnusableError(EidError):
    code = "eid_account_unusable"
    kind = Kind.PERMISSION_DENIED


class EidAlreadyLinkedError(EidError):
    code = "eid_already_linked"
    kind = Kind.CONFLICT


class EidOnePerProviderError(EidError):
    code = "eid_one_per_provider"
    kind = Kind.CONFLICT


class EidBrokerAnswerError(EidFailedError):
    """The broker answered the code exchange with something we cannot accept."""
