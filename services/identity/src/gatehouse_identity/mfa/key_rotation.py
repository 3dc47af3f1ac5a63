"""Re-encrypting second-factor secrets with the newest SECOND_FACTOR_ENCRYPTION_KEYS key
(`python -m gatehouse_identity keys reencrypt-second-factors`), so an old key can be dropped.

Secrets are also re-encrypted one by one when next used; this command does all of them at once.
Each row is rewritten only if it still holds the value that was read (compare-and-set), so it is
safe to run while identity serves requests. Rows no configured key decrypts are counted and left
as they are: the old key must not be dropped while any remain (see docs/KEY_ROTATION.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from gatehouse_identity.mfa.crypto import SecretBox, SecretBoxError

# (table, key column, encrypted column) of every secret encrypted with the SecretBox.
ENCRYPTED_COLUMNS = (
    ("totp_authenticators", "factor_id", "secret_encrypted"),
    ("mobile_devices", "factor_id", "pin_verifier_encrypted"),
    ("mobile_devices", "factor_id", "ocra_key_encrypted"),
)


@dataclass
class ReencryptionReport:
    reencrypted: int = 0
    already_current: int = 0
    undecryptable: int = 0


async def reencrypt_second_factor_secrets(
    pool: asyncpg.Pool, box: SecretBox, *, batch_size: int = 500
) -> ReencryptionReport:
    report = ReencryptionReport()
    for table, key, column in ENCRYPTED_COLUMNS:
        last = None
        while True:
            rows = await pool.fetch(
                f"""SELECT {key} AS key, {column} AS value FROM {table}
                     WHERE {column} IS NOT NULL AND ($1::uuid IS NULL OR {key} > $1)
                  ORDER BY {key} LIMIT $2""",
                last,
                batch_size,
            )
            if not rows:
                break
            last = rows[-1]["key"]
            for row in rows:
                try:
                    rotated = box.rotated(row["value"])
                except SecretBoxError:
                    report.undecryptable += 1
                    continue
                if rotated is None:
                    report.already_current += 1
                    continue
                await pool.execute(
                    f"UPDATE {table} SET {column} = $2 WHERE {key} = $1 AND {column} = $3",
                    row["key"],
                    rotated,
                    row["value"],
                )
                report.reencrypted += 1
    return report
