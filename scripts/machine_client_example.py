#!/usr/bin/env python3
"""An operator's own system calling the registry's machine API (README, "Machine access").

    .venv/bin/python scripts/machine_client_example.py keys             # a key pair, once
    .venv/bin/python scripts/machine_client_example.py read \\
        --client-id op-… --operator-id … [--identity http://127.0.0.1:8001] \\
        [--registry http://127.0.0.1:8002] [--key-file machine-key.json]

`keys` writes `machine-key.json` (the private key: keep it on the system) and prints the public
JWK Set to paste on the registry's *Web services* page. `read` gets a client_credentials token
from identity, authenticating with that key (private_key_jwt, RFC 7523), and reads the operator,
its users and their roles, and its activities. Uses requests-oauth2client; any OAuth 2.0
library with private_key_jwt does the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import requests
from jwskate import Jwk
from requests_oauth2client import OAuth2Client, PrivateKeyJwt


def say(*parts: object) -> None:
    sys.stdout.write(" ".join(map(str, parts)) + "\n")


def make_keys(key_file: Path) -> None:
    key = Jwk.generate(alg="ES256").with_kid_thumbprint()
    key_file.write_text(json.dumps(key.to_dict()), "utf-8")
    key_file.chmod(0o600)
    say(json.dumps({"keys": [key.public_jwk().to_dict()]}, indent=2))


def read(key_file: Path, client_id: str, operator_id: str, identity: str, registry: str) -> None:
    key = Jwk(json.loads(key_file.read_text("utf-8")))
    oauth = OAuth2Client(
        token_endpoint=f"{identity}/oidc/token",
        auth=PrivateKeyJwt(client_id, private_jwk=key),
        testing=identity.startswith("http://"),  # plain http: `make run` on this machine only
    )
    token = oauth.client_credentials(scope="operators.read roles.read")
    session = requests.Session()
    session.auth = token  # sends "Authorization: Bearer …"
    base = f"{registry}/api/v1/machine/operators/{operator_id}"
    operator = session.get(base, timeout=30)
    operator.raise_for_status()
    say("operator:", operator.json()["name"])
    for user in session.get(f"{base}/users", timeout=30).json():
        say("user:", user["user_full_name"], user["kind"], user["administrator"])
    for activity in session.get(f"{base}/activities", timeout=30).json():
        say("activity:", activity["section_code"], activity["status"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--key-file", type=Path, default=Path("machine-key.json"))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("keys", help="make a key pair; print the public JWK Set")
    reading = commands.add_parser("read", help="read the operator's data with a token")
    reading.add_argument("--client-id", required=True)
    reading.add_argument("--operator-id", required=True)
    reading.add_argument("--identity", default="http://127.0.0.1:8001")
    reading.add_argument("--registry", default="http://127.0.0.1:8002")
    arguments = parser.parse_args()
    if arguments.command == "keys":
        make_keys(arguments.key_file)
    else:
        read(
            arguments.key_file,
            arguments.client_id,
            arguments.operator_id,
            arguments.identity,
            arguments.registry,
        )


if __name__ == "__main__":
    main()
