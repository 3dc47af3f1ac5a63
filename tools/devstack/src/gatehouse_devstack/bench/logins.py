"""Sign-in benchmarks against identity alone on the measured core.

- login_password: complete password sign-ins (`POST /api/v1/sessions`, a new session each) by
  concurrent clients.
- login_oidc_mfa: what a user of a relying service does, as a browser does it: the client's
  authorization request (code flow, PKCE S256), identity's sign-in page, the password, the
  second-factor page, an authenticator-app code (TOTP), the redirect back with the code, and the
  client's token exchange (`POST /oidc/token`).

Both are compared with the physical limit of one core: one argon2id verification per sign-in,
timed on the same core in the same run with identity's parameters.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from gatehouse_devstack.bench import statements
from gatehouse_devstack.bench.fixtures import Account, OidcClient, TotpAccount, totp_code
from gatehouse_devstack.bench.harness import PASSWORD, Bench, CpuMeter, Samples, closed_loop
from gatehouse_devstack.bench.report import Result

REDIRECTS = {301, 302, 303, 307, 308}
MAX_HOPS = 15


def hash_limit(probes: list[dict[str, Any]]) -> float:
    """The faster of the probes around a run: noise only ever slows a probe down."""
    return max(float(probe["per_s"]) for probe in probes)


def figures(samples: Samples, window_s: float, limit: float) -> dict[str, float]:
    rate = samples.completed / window_s
    return {
        "logins_per_s": rate,
        "hash_limit_per_s": limit,
        "ratio": rate / limit,
        "p99_ms": samples.p(0.99),
    }


def cpu_ratio(meter: CpuMeter, samples: Samples, probes: list[dict[str, Any]]) -> float | None:
    """argon2 CPU per verification ÷ identity's CPU per sign-in: the ratio counted in CPU time,
    which other load on the machine does not distort (on a quiet machine it meets the
    wall-clock ratio)."""
    identity_ms = meter.per_operation_ms(samples.completed).get("identity")
    if not identity_ms:
        return None
    return round(min(float(probe["cpu_ms"]) for probe in probes) / identity_ms, 3)


def _note(ratio_in_cpu: float | None, meter: CpuMeter) -> str:
    share = meter.shares().get("identity", 0.0)
    text = f"identity had {share:.2f} of its core"
    if ratio_in_cpu is not None:
        text += f"; ratio in CPU time {ratio_in_cpu:.2f}"
    return text


def sample_details(samples: Samples, window_s: float) -> dict[str, Any]:
    return {
        "completed": samples.completed,
        "window_s": window_s,
        "errors": samples.errors,
        "first_error": samples.first_error,
        "p50_ms": round(samples.p(0.5), 1),
        "p95_ms": round(samples.p(0.95), 1),
        "p99_ms": round(samples.p(0.99), 1),
    }


# --- password sign-in ---------------------------------------------------------------------------


@dataclass
class Attempts:
    """Every sign-in a run made, in the window or not (what the statements are divided by),
    and the HTTP requests they took."""

    signed_in: int = 0
    requests: int = 0

    def per_sign_in(self) -> float:
        return self.requests / self.signed_in if self.signed_in else 0.0


async def password_run(
    bench: Bench,
    email_of: Callable[[int], str],
    meter: CpuMeter,
    *,
    duration_s: float,
) -> tuple[Samples, float, Attempts]:
    """Password sign-ins by `login_clients` clients, client `worker` as `email_of(worker)`."""
    sizes = bench.sizes
    samples = Samples()
    attempts = Attempts()
    clients = sizes.login_clients
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=bench.stack.identity_url, timeout=30, limits=limits
    ) as client:

        async def sign_in(worker: int) -> None:
            response = await client.post(
                "/api/v1/sessions", json={"email": email_of(worker), "password": PASSWORD}
            )
            attempts.requests += 1
            client.cookies.clear()
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:200]}")
            attempts.signed_in += 1

        window = await closed_loop(
            clients,
            warmup_s=sizes.warmup_s,
            duration_s=duration_s,
            one=sign_in,
            samples=samples,
            meter=meter,
        )
    return samples, window, attempts


async def _counted_password_run(
    bench: Bench, email_of: Callable[[int], str], meter: CpuMeter, duration_s: float
) -> tuple[Samples, float, Attempts, dict[str, float]]:
    before = await statements.count(bench)
    samples, window, attempts = await password_run(bench, email_of, meter, duration_s=duration_s)
    after = await statements.count(bench)
    return samples, window, attempts, statements.per_operation(before, after, attempts.signed_in)


def measured_password_sign_ins(
    bench: Bench, email_of: Callable[[int], str], duration_s: float
) -> tuple[dict[str, float], str, dict[str, Any]]:
    """Password sign-ins with identity alone on the measured core, between two argon2 probes:
    the line's figures, the table's note and the details."""
    placement = bench.place("identity")
    before = bench.argon2_probe(bench.sizes.argon2_probe_s)
    meter = CpuMeter(bench.stack)
    samples, window, attempts, sql = asyncio.run(
        _counted_password_run(bench, email_of, meter, duration_s)
    )
    after = bench.argon2_probe(bench.sizes.argon2_probe_s)
    limit = hash_limit([before, after])
    ratio_in_cpu = cpu_ratio(meter, samples, [before, after])
    counted = {"http_requests_per_sign_in": attempts.per_sign_in(), **sql}
    details = {
        **sample_details(samples, window),
        **counted,
        "clients": bench.sizes.login_clients,
        "cpu_cores_used": meter.shares(),
        "cpu_ms_per_sign_in": meter.per_operation_ms(samples.completed),
        "cpu_ratio": ratio_in_cpu,
        "argon2": bench.argon2_parameters,
        "argon2_probes_per_s": [round(before["per_s"], 2), round(after["per_s"], 2)],
        "argon2_median_ms": [round(before["median_ms"], 2), round(after["median_ms"], 2)],
        "argon2_cpu_ms": [round(before["cpu_ms"], 2), round(after["cpu_ms"], 2)],
        "password_hash_threads": bench.stack.services["identity"].env.get(
            "PASSWORD_HASH_THREADS", "default"
        ),
        "placement": placement,
    }
    return {**figures(samples, window, limit), **counted}, _note(ratio_in_cpu, meter), details


def login_password(bench: Bench, accounts: list[Account]) -> Result:
    figures_, note, details = measured_password_sign_ins(
        bench, lambda worker: accounts[worker % len(accounts)].email, bench.sizes.login_s
    )
    return Result("login_password", figures_, note=note, details=details)


# --- OpenID Connect code flow with a second factor ----------------------------------------------


class _Page(HTMLParser):
    """The forms (action and fields) and links of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.links: list[str] = []
        self.refresh = ""  # where <meta http-equiv="refresh"> sends the browser
        self._text: list[str] = []
        self._hidden = 0
        self.feed(html)

    def text(self) -> str:
        """The page's visible words, for error messages."""
        return " ".join(" ".join(self._text).split())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag in ("script", "style", "head"):
            self._hidden += 1
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag == "input" and self.forms and values.get("name"):
            if values.get("type") == "checkbox" and "checked" not in values:
                return
            self.forms[-1][1][values["name"]] = values.get("value", "")
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            _, _, target = values.get("content", "").partition("url=")
            self.refresh = target.strip()


class Browser:
    """Cookies as a browser keeps them for http://127.0.0.1 (a secure context, so `__Host-`
    cookies are sent), over a shared connection pool."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.requests = 0

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Accept": "text/html,application/xhtml+xml"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = await self.client.request(method, url, headers=headers, **kwargs)
        self.requests += 1
        self.client.cookies.clear()  # this jar is the only one
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def oidc_sign_in(
    client: httpx.AsyncClient, identity_url: str, rp: OidcClient, user: TotpAccount
) -> dict[str, Any]:
    """One whole sign-in of `user` at relying party `rp`; returns the token response."""
    browser = Browser(client)
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(12)
    query = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": "openid profile email",
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = f"{identity_url}/oidc/authorize?{urlencode(query)}"
    response = await browser.request("GET", url)
    for _ in range(MAX_HOPS):
        data: dict[str, str] | None = None
        if response.status_code in REDIRECTS:
            target = urljoin(url, response.headers["location"])
        elif response.status_code == 200:
            target, data = _next_step(url, response.text, user)
        else:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
        url = target
        if url.startswith(rp.redirect_uri):
            break
        method = "GET" if data is None else "POST"
        response = await browser.request(method, url, data=data)
    else:
        raise RuntimeError(f"no code after {MAX_HOPS} steps; last {url}")
    answer = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    if answer.get("state") != state or "code" not in answer:
        raise RuntimeError(f"bad redirect: {url}")
    token = await client.post(
        f"{identity_url}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": rp.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(rp.client_id, rp.client_secret),
    )
    client.cookies.clear()
    if token.status_code != 200:
        raise RuntimeError(f"token exchange: {token.status_code} {token.text[:200]}")
    tokens: dict[str, Any] = token.json()
    tokens["requests"] = browser.requests + 1
    return tokens


def _next_step(url: str, html: str, user: TotpAccount) -> tuple[str, dict[str, str] | None]:
    """What a person (or their browser) does on a page: sign in, pick the authenticator app,
    type its code, or let the page move on by itself. Returns where to go and, for a form, what
    to post."""
    page = _Page(html)
    for action, fields in page.forms:
        if "password" in fields:
            fields.update(email=user.account.email, password=PASSWORD)
        elif "code" in fields:
            fields["code"] = totp_code(user.secret)
        else:
            continue
        return urljoin(url, action or url), fields
    if page.refresh:
        return urljoin(url, page.refresh), None
    for link in page.links:
        if "/second-factor/totp" in link:
            return urljoin(url, link), None
    raise RuntimeError(f"{url}: a page the benchmark cannot answer: {page.text()[:300]}")


async def _oidc_run(
    bench: Bench, rp: OidcClient, users: list[TotpAccount], meter: CpuMeter
) -> tuple[Samples, float, int, list[int], dict[str, float]]:
    sizes = bench.sizes
    before = await statements.count(bench)
    samples = Samples()
    unused = deque(users)  # TOTP: each time step is accepted once per user, so one user a login
    ran_out = 0
    requests: list[int] = []
    limits = httpx.Limits(max_connections=sizes.oidc_clients * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def sign_in(_worker: int) -> None:
            nonlocal ran_out
            if not unused:
                ran_out += 1
                await asyncio.sleep(0.5)
                raise RuntimeError("ran out of enrolled accounts")
            tokens = await oidc_sign_in(client, bench.stack.identity_url, rp, unused.popleft())
            bench.access_tokens.append(tokens["access_token"])
            requests.append(tokens["requests"])

        window = await closed_loop(
            sizes.oidc_clients,
            warmup_s=sizes.warmup_s,
            duration_s=sizes.oidc_s,
            one=sign_in,
            samples=samples,
            meter=meter,
        )
    after = await statements.count(bench)
    return (
        samples,
        window,
        ran_out,
        requests,
        statements.per_operation(before, after, len(requests)),
    )


def login_oidc_mfa(bench: Bench, rp: OidcClient, users: list[TotpAccount]) -> Result:
    placement = bench.place("identity")
    before = bench.argon2_probe(bench.sizes.argon2_probe_s)
    started = time.time()
    meter = CpuMeter(bench.stack)
    samples, window, ran_out, requests, sql = asyncio.run(_oidc_run(bench, rp, users, meter))
    counted = {"http_requests_per_sign_in": sum(requests) / max(1, len(requests)), **sql}
    after = bench.argon2_probe(bench.sizes.argon2_probe_s)
    limit = hash_limit([before, after])
    ratio_in_cpu = cpu_ratio(meter, samples, [before, after])
    return Result(
        "login_oidc_mfa",
        {**figures(samples, window, limit), **counted},
        note=_note(ratio_in_cpu, meter),
        details={
            **sample_details(samples, window),
            "clients": bench.sizes.oidc_clients,
            "cpu_cores_used": meter.shares(),
            "cpu_ms_per_sign_in": meter.per_operation_ms(samples.completed),
            "cpu_ratio": ratio_in_cpu,
            **counted,
            "http_requests_per_sign_in_at_most": max(requests, default=0),
            "steps": "authorize, sign-in page, password, second-factor choice, TOTP page, TOTP "
            "code, resume, (continue page), redirect with the code, token exchange",
            "accounts_prepared": len(users),
            "ran_out_of_accounts": ran_out,
            "argon2_probes_per_s": [round(before["per_s"], 2), round(after["per_s"], 2)],
            "started_at": started,
            "placement": placement,
        },
    )
