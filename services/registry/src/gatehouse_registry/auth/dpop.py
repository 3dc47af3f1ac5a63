"""DPoP at the registry's API (RFC 9449 §7): a token bound to a key (`cnf.jkt`) is accepted only
as `Authorization: DPoP <token>` with a `DPoP` proof, signed by that very key, for this request
(method and URI), recent, carrying the token's hash (`ath`), and never seen before.

The proof is checked by gatehouse_common.dpop, as identity checks its own. A proof's `jti` is
remembered in this process until the proof would be too old anyway (PROOF_MAX_AGE_S): a copy
sent again to the same replica is refused. Replicas do not share what they saw; a copy sent to
another replica within that minute still needs the token, the same method and URI, and the
minute (identity's token endpoint, which hands out tokens, remembers proofs in PostgreSQL).
"""

from __future__ import annotations

import time

from gatehouse_common.dpop import DPoPProof, DPoPProofError, verify_proof

PROOF_MAX_AGE_S = 60
CLOCK_LEEWAY_S = 5
MAX_REMEMBERED = 100_000


class ProofChecker:
    def __init__(self, public_url: str) -> None:
        self._public_url = public_url.rstrip("/")
        self._seen: dict[bytes, float] = {}

    def check(
        self, proofs: list[str], *, method: str, path: str, access_token: str
    ) -> DPoPProof | None:
        """The proof of this request, or None when there is not exactly one good one."""
        if len(proofs) != 1:
            return None
        now = time.time()
        try:
            proof = verify_proof(
                proofs[0],
                method=method,
                url=f"{self._public_url}{path}",
                now=now,
                max_age_s=PROOF_MAX_AGE_S,
                leeway_s=CLOCK_LEEWAY_S,
                access_token=access_token,
            )
        except DPoPProofError:
            return None
        return proof if self._first_time(proof, now) else None

    def _first_time(self, proof: DPoPProof, now: float) -> bool:
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen = {key: until for key, until in self._seen.items() if until > now}
        key = proof.replay_key
        if self._seen.get(key, 0.0) > now:
            return False
        self._seen[key] = proof.iat + PROOF_MAX_AGE_S + 2 * CLOCK_LEEWAY_S
        return True
