"""Re-encrypting second-factor secrets with the newest SECOND_FACTOR_ENCRYPTION_KEYS key
(`python -m gatehouse_identity keys reencrypt-second-factors`), so an old key can be dropped.

Secrets are also re-encrypted one by one when next used; this command does all of them at once.
Each row is rewritten only if it still holds the value that was read (compare-and-set), so it is
safe to run while identity serves requests. Rows no configured key decrypts are counted and left
as they are: the old key must not be dropped while any remain (see docs/KEY_ROTATION.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse_common.db import Database
from gatehouse_identity.mfa import queries
from gatehouse_identity.mfa.crypto import SecretBox, SecretBoxError


@dataclass
class ReencryptionReport:
    reencrypted: int = 0
    already_current: int = 0
    undecryptable: int = 0


async def reencrypt_second_factor_secrets(
    database: Database, box: SecretBox, *, batch_size: int = 500
) -> ReencryptionReport:
    report = ReencryptionReport()
    for key, column in queries.ENCRYPTED_COLUMNS:
        last = None
        while True:
            async with database.connection() as connection:
                rows = await queries.encrypted_batch(
                    connection, key=key, column=column, after=last, size=batch_size
                )
            if not rows:
                break
            last = rows[-1][0]
            for key_value, value in rows:
                try:
                    rotated = box.rotated(value)
                except SecretBoxError:
                    report.undecryptable += 1
                    continue
                if rotated is None:
                    report.already_current += 1
                    continue
                async with database.connection() as connection:
                    await queries.replace_encrypted(
                        connection,
                        key=key,
                        column=column,
                        key_value=key_value,
                        old=value,
                        new=rotated,
                    )
                report.reencrypted += 1
    return report
