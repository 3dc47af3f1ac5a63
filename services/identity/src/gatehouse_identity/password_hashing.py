"""argon2id hashing of passwords, run in a dedicated thread pool.

argon2 releases the GIL, so sign-ins proceed in parallel on every core given to identity while
the event loop keeps answering other requests. The hasher is held by the process (context.py)
beside the pool; the password rule itself belongs to accounts (accounts/passwords.py).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from prometheus_client import Counter

PASSWORD_VERIFICATIONS = Counter(
    "gatehouse_identity_password_verifications_total",
    "argon2id verifications: `match`/`mismatch` against an account, `dummy` to equalise timing",
    ["outcome"],
)


class PasswordHasher:
    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int, threads: int) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        # Verified when the account is unknown or blocked, so those answers take as long.
        self._dummy_hash = self._argon2.hash("gatehouse-timing-equaliser")

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        matched = await loop.run_in_executor(self._executor, self._verify, password_hash, password)
        PASSWORD_VERIFICATIONS.labels("match" if matched else "mismatch").inc()
        return matched

    async def verify_dummy(self, password: str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._verify, self._dummy_hash, password)
        PASSWORD_VERIFICATIONS.labels("dummy").inc()

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._executor.shutdown(wait=False)
