"""`python -m gatehouse_identity clients ...` and `... keys ...`: administration from a shell.

    clients create --client-id registry --redirect-uri https://registry.example/auth/callback \\
        --min-level multi_factor --first-party \\
        --backchannel-logout-uri https://registry.example/auth/backchannel-logout \\
        --post-logout-redirect-uri https://registry.example/
    clients create --client-id acme-erp --grant-type client_credentials --jwks-file acme.jwks \\
        --dpop                      # a machine: private_key_jwt, DPoP-bound tokens
    clients create ... --require-par   # authorization requests only pushed (RFC 9126)
    clients list | show ID | delete ID | rotate-secret ID
    keys list | rotate | reencrypt-second-factors

The database comes from DATABASE_URL like the service's own. A generated client secret is printed
once and only its hash is stored; `--secret-env NAME` takes the secret from an environment
variable instead (so it never appears in a process listing), e.g. for a launcher that already
gave it to the relying service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatehouse_common.db import Database
from gatehouse_identity.levels import LEVELS, as_level
from gatehouse_identity.mfa.key_rotation import reencrypt_second_factor_secrets
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.oidc import clients
from gatehouse_identity.oidc.client_models import DEFAULT_GRANT_TYPES
from gatehouse_identity.oidc.clients import ClientError, ClientRegistration
from gatehouse_identity.oidc.keys import KeyStore
from gatehouse_identity.settings import IdentitySettings

COMMANDS = ("clients", "keys")


def add_commands(groups: argparse._SubParsersAction[Any]) -> None:
    """The `clients` and `keys` command groups, added to identity's command line."""
    client_commands = groups.add_parser("clients", help="OpenID Connect clients").add_subparsers(
        dest="command", required=True, metavar="command"
    )
    create = client_commands.add_parser("create", help="register a client (secret shown once)")
    create.add_argument("--client-id", required=True)
    create.add_argument("--name", help="shown on the consent screen (default: the client id)")
    create.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
    create.add_argument(
        "--post-logout-redirect-uri", action="append", default=[], dest="post_logout_uris"
    )
    create.add_argument("--backchannel-logout-uri")
    create.add_argument("--min-level", choices=LEVELS, default="multi_factor")
    create.add_argument("--first-party", action="store_true", help="no consent screen")
    create.add_argument("--public", action="store_true", help="no secret; PKCE S256 required")
    create.add_argument("--secret-env", help="read the client secret from this variable")
    create.add_argument(
        "--grant-type",
        action="append",
        choices=clients.GRANT_TYPES,
        dest="grant_types",
        help="repeat for several (default: authorization_code and refresh_token)",
    )
    create.add_argument("--jwks-file", help="private_key_jwt: a file with the client's JWKS")
    create.add_argument("--jwks-uri", help="private_key_jwt: where the client publishes keys")
    create.add_argument(
        "--require-par",
        action="store_true",
        help="authorization requests only through PAR (RFC 9126)",
    )
    create.add_argument(
        "--dpop", action="store_true", help="every token must be DPoP-bound (RFC 9449)"
    )
    create.add_argument(
        "--replace", action="store_true", help="overwrite a client with the same id"
    )
    create.add_argument("--json", action="store_true", help="print the result as JSON")
    client_commands.add_parser("list", help="all clients")
    for name, text in (
        ("show", "one client"),
        ("delete", "remove a client and all its tokens"),
        ("rotate-secret", "replace the secret (printed once)"),
    ):
        client_commands.add_parser(name, help=text).add_argument("client_id")

    key_commands = groups.add_parser(
        "keys", help="ID token signing keys and second-factor encryption"
    ).add_subparsers(dest="command", required=True, metavar="command")
    key_commands.add_parser("list", help="published keys and when each signs")
    key_commands.add_parser(
        "rotate", help="retire the signing key now (it stays published until its tokens expire)"
    )
    key_commands.add_parser(
        "reencrypt-second-factors",
        help="re-encrypt TOTP and app secrets with the newest SECOND_FACTOR_ENCRYPTION_KEYS key",
    )


def run(args: argparse.Namespace, settings: IdentitySettings) -> int:
    """Run a `clients …` or `keys …` command; ClientError says what was wrong."""
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: IdentitySettings) -> int:
    database = await Database.open(settings.database_url, min_size=1, max_size=2)
    try:
        if args.group == "clients":
            return await _clients(args, settings, database)
        return await _keys(args, settings, database)
    finally:
        await database.close()


def _out(text: str) -> None:
    print(text)  # noqa: T201  (a command-line tool prints its answer)


def _read_jwks(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ClientError(f"--jwks-file: cannot read {path}: {error}") from error


async def _create(args: argparse.Namespace, settings: IdentitySettings, database: Database) -> int:
    secret = None
    if args.secret_env:
        secret = os.environ.get(args.secret_env)
        if not secret:
            raise ClientError(f"--secret-env: {args.secret_env} is not set")
    registration = ClientRegistration(
        client_id=args.client_id,
        name=args.name or args.client_id,
        redirect_uris=args.redirect_uris,
        post_logout_redirect_uris=args.post_logout_uris,
        backchannel_logout_uri=args.backchannel_logout_uri,
        min_level=as_level(args.min_level) or "multi_factor",
        first_party=args.first_party,
        public=args.public,
        secret=secret,
        grant_types=args.grant_types or list(DEFAULT_GRANT_TYPES),
        jwks=_read_jwks(args.jwks_file) if args.jwks_file else None,
        jwks_uri=args.jwks_uri,
        require_pushed_authorization_requests=args.require_par,
        dpop_bound_access_tokens=args.dpop,
    )
    client, issued = await clients.create_client(
        database,
        registration,
        allow_plain_http=not settings.is_production,
        replace=args.replace,
    )
    shown = issued if secret is None else None
    if args.json:
        _out(json.dumps(client.as_dict() | ({"client_secret": shown} if shown else {})))
    else:
        _out(f"Registered client {client.client_id} (minimum level {client.min_level}).")
        if shown:
            _out(f"client_secret: {shown}")
            _out("Store it now: only its hash is kept, it cannot be shown again.")
    return 0


async def _clients(args: argparse.Namespace, settings: IdentitySettings, database: Database) -> int:
    if args.command == "create":
        return await _create(args, settings, database)
    if args.command == "list":
        for client in await clients.list_clients(database):
            _out(json.dumps(client.as_dict()))
        return 0
    if args.command == "show":
        found = await clients.get_client(database, args.client_id)
        if found is None:
            raise ClientError(f"no client {args.client_id!r}")
        _out(json.dumps(found.as_dict(), indent=2))
        return 0
    if args.command == "delete":
        if not await clients.delete_client(database, args.client_id):
            raise ClientError(f"no client {args.client_id!r}")
        _out(f"Deleted client {args.client_id} and its tokens.")
        return 0
    try:
        secret = await clients.rotate_secret(database, args.client_id)
    except clients.UnknownClientError as error:
        raise ClientError(str(error)) from error
    _out(f"client_secret: {secret}")
    return 0


async def _reencrypt(settings: IdentitySettings, database: Database) -> int:
    box = MfaRuntime.from_settings(settings).box
    report = await reencrypt_second_factor_secrets(database, box)
    _out(
        f"re-encrypted {report.reencrypted}, already current {report.already_current}, "
        f"undecryptable {report.undecryptable}"
    )
    if report.undecryptable:
        _out("Some secrets no configured key decrypts: keep the old keys until this is 0.")
        return 1
    return 0


async def _keys(args: argparse.Namespace, settings: IdentitySettings, database: Database) -> int:
    if args.command == "reencrypt-second-factors":
        return await _reencrypt(settings, database)
    if settings.oidc_signing_key_files.strip():
        _out("Keys come from OIDC_SIGNING_KEY_FILES: rotate by changing the files.")
        return 0 if args.command == "list" else 2
    store = KeyStore(database, settings, secret_key=settings.secret_key.get_secret_value())
    records = await store.ensure_database_keys(rotate_now=args.command == "rotate")
    now = datetime.now(UTC)
    for record in records:
        role = (
            "signing"
            if record.sign_from <= now < record.sign_until
            else ("next" if record.sign_from > now else "retired")
        )
        _out(
            f"{record.kid}  {record.alg}  {role:8}  signs {record.sign_from:%Y-%m-%d %H:%M} to "
            f"{record.sign_until:%Y-%m-%d %H:%M}, published until "
            f"{record.publish_until:%Y-%m-%d %H:%M} UTC"
        )
    return 0
