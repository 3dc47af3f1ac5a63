"""Token introspection over authenticated gRPC (gatehouse.identity.v1.TokenService/
IntrospectToken), identity alone on the measured core, the caller on the other.

The caller is a relying service ("registry", an allowed introspection caller) sending identity's
access tokens issued by the OIDC benchmark, with a service token in the metadata as every
service-to-service call carries one (minted once a second here rather than per call: the
server's work is the same, and the load generator's core is kept for sending calls).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from grpc import aio

from gatehouse.identity.v1 import token_service_pb2 as pb
from gatehouse.identity.v1 import token_service_pb2_grpc as pb_grpc
from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.bench.harness import Bench, CpuMeter, Samples, closed_loop
from gatehouse_devstack.bench.report import Result

CALLER = "registry"
LIGHT_CALLERS = 1


class _Credentials:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._minted_at = 0.0
        self._metadata: tuple[tuple[str, str], ...] = ()

    def metadata(self) -> tuple[tuple[str, str], ...]:
        now = time.monotonic()
        if now - self._minted_at > 1.0:
            token = mint_service_token(self._secret, caller=CALLER)
            self._metadata = (("authorization", f"Bearer {token}"),)
            self._minted_at = now
        return self._metadata


async def _run(bench: Bench, tokens: list[str]) -> tuple[Samples, float, dict[str, Any]]:
    sizes = bench.sizes
    credentials = _Credentials(bench.stack.service_auth_secret.encode())
    samples = Samples()
    meter = CpuMeter(bench.stack)
    inactive = 0
    async with aio.insecure_channel(bench.stack.identity_grpc_target) as channel:
        stub = pb_grpc.TokenServiceStub(channel)
        first = await stub.IntrospectToken(
            pb.IntrospectTokenRequest(token=tokens[0]), metadata=credentials.metadata(), timeout=5
        )
        if not first.active:
            raise RuntimeError("identity says the OIDC benchmark's access token is not active")
        turns = [0] * sizes.introspect_concurrency

        async def call(worker: int) -> None:
            nonlocal inactive
            token = tokens[(worker + turns[worker] * sizes.introspect_concurrency) % len(tokens)]
            turns[worker] += 1
            answer = await stub.IntrospectToken(
                pb.IntrospectTokenRequest(token=token), metadata=credentials.metadata(), timeout=5
            )
            if not answer.active:
                inactive += 1

        window = await closed_loop(
            sizes.introspect_concurrency,
            warmup_s=sizes.warmup_s,
            duration_s=sizes.introspect_s,
            one=call,
            samples=samples,
            meter=meter,
        )
        # The line's p99 is at saturation (mostly queueing); this is what one call takes when
        # identity is not saturated: one caller, for a short while.
        light = Samples()
        light_window = await closed_loop(
            LIGHT_CALLERS,
            warmup_s=min(sizes.warmup_s, 0.5),
            duration_s=max(1.0, sizes.introspect_s / 3),
            one=call,
            samples=light,
        )
    return (
        samples,
        window,
        {
            "inactive_answers": inactive,
            "cpu_cores_used": meter.shares(),
            "cpu_ms_per_call": meter.per_operation_ms(samples.completed),
            f"at_{LIGHT_CALLERS}_in_flight": {
                "calls_per_s": round(light.completed / light_window),
                "p50_ms": round(light.p(0.5), 2),
                "p99_ms": round(light.p(0.99), 2),
            },
        },
    )


def introspect_grpc(bench: Bench) -> Result:
    tokens = list(bench.access_tokens)
    if not tokens:
        raise RuntimeError("no access tokens to introspect: the OIDC benchmark issued none")
    placement = bench.place("identity")
    samples, window, extra = asyncio.run(_run(bench, tokens))
    share = extra["cpu_cores_used"].get("identity", 0.0)
    per_call = extra["cpu_ms_per_call"].get("identity", 0.0)
    capacity = f"; {1000 / per_call:.0f} calls/s per core in CPU time" if per_call else ""
    return Result(
        "introspect_grpc",
        {"calls_per_s": samples.completed / window, "p99_ms": samples.p(0.99)},
        note=f"identity had {share:.2f} of its core{capacity}",
        details={
            "completed": samples.completed,
            "window_s": window,
            "errors": samples.errors,
            "first_error": samples.first_error,
            "p50_ms": round(samples.p(0.5), 2),
            "p99_ms": round(samples.p(0.99), 2),
            "concurrency": bench.sizes.introspect_concurrency,
            "distinct_tokens": len(tokens),
            **extra,
            "placement": placement,
        },
    )
