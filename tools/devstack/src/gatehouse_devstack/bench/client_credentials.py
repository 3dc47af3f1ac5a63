"""Client-credentials tokens (RFC 6749 §4.4) from identity's token endpoint: a machine client
authenticating with its secret (client_secret_basic) and getting a signed JWT access token, over
HTTP, identity alone on the measured core, the callers on the other (issue 19: at least 500
tokens/s per core; Keycloak sizes 120 per vCPU).

Each token costs identity a client look-up (one indexed SELECT), the secret's SHA-256 and an
ES256 signature (RS256 before 2026-12-03: about six times the CPU); nothing is written
(client-credentials tokens are not stored, see
gatehouse_identity.oidc.token_service.client_credentials).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.bench.harness import Bench, CpuMeter, Samples, closed_loop
from gatehouse_devstack.bench.report import Result

MACHINE_CLIENT_ID = "bench-machine"


def register_machine_client(bench: Bench) -> tuple[str, str]:
    """A confidential client that may use client_credentials only; its id and secret."""
    token = mint_service_token(bench.stack.service_auth_secret.encode(), caller="devstack")
    response = httpx.post(
        f"{bench.stack.identity_url}/oidc/admin/clients",
        json={
            "client_id": MACHINE_CLIENT_ID,
            "name": "Benchmark machine client",
            "grant_types": ["client_credentials"],
            "min_level": "multi_factor",
            "replace": True,
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if response.status_code != 201:
        raise RuntimeError(
            f"registering the machine client: {response.status_code} {response.text}"
        )
    return MACHINE_CLIENT_ID, str(response.json()["client_secret"])


async def _run(bench: Bench, client_id: str, secret: str) -> tuple[Samples, float, dict[str, Any]]:
    sizes = bench.sizes
    samples = Samples()
    meter = CpuMeter(bench.stack)
    url = f"{bench.stack.identity_url}/oidc/token"
    limits = httpx.Limits(max_connections=sizes.client_credentials_concurrency)
    async with httpx.AsyncClient(auth=(client_id, secret), limits=limits, timeout=10) as http:
        first = await http.post(url, data={"grant_type": "client_credentials"})
        if first.status_code != 200 or first.json().get("token_type") != "Bearer":
            raise RuntimeError(f"no client-credentials token: {first.status_code} {first.text}")

        async def one(_worker: int) -> None:
            answer = await http.post(url, data={"grant_type": "client_credentials"})
            if answer.status_code != 200:
                raise RuntimeError(f"{answer.status_code} {answer.text[:200]}")

        window = await closed_loop(
            sizes.client_credentials_concurrency,
            warmup_s=sizes.warmup_s,
            duration_s=sizes.client_credentials_s,
            one=one,
            samples=samples,
            meter=meter,
        )
    return (
        samples,
        window,
        {
            "cpu_cores_used": meter.shares(),
            "cpu_ms_per_token": meter.per_operation_ms(samples.completed),
        },
    )


def client_credentials(bench: Bench) -> Result:
    client_id, secret = register_machine_client(bench)
    placement = bench.place("identity")
    samples, window, extra = asyncio.run(_run(bench, client_id, secret))
    share = extra["cpu_cores_used"].get("identity", 0.0)
    per_token = extra["cpu_ms_per_token"].get("identity", 0.0)
    capacity = f"; {1000 / per_token:.0f} tokens/s per core in CPU time" if per_token else ""
    return Result(
        "client_credentials",
        {"tokens_per_s": samples.completed / window, "p99_ms": samples.p(0.99)},
        note=f"identity had {share:.2f} of its core{capacity}",
        details={
            "completed": samples.completed,
            "window_s": window,
            "errors": samples.errors,
            "first_error": samples.first_error,
            "p50_ms": round(samples.p(0.5), 2),
            "p99_ms": round(samples.p(0.99), 2),
            "concurrency": bench.sizes.client_credentials_concurrency,
            "tokens_per_core_s_cpu_time": round(1000 / per_token) if per_token else None,
            **extra,
            "placement": placement,
        },
    )
