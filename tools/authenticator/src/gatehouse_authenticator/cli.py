"""`gatehouse-authenticator`: the reference app on the command line.

  gatehouse-authenticator enrol (--payload TEXT | --image QR.png) --pin 1234
  gatehouse-authenticator requests
  gatehouse-authenticator approve REQUEST_ID --pin 1234 --number 42
  gatehouse-authenticator deny REQUEST_ID
  gatehouse-authenticator otp (--payload TEXT | --image QR.png) --pin 1234     (offline)
  gatehouse-authenticator devices

Registrations are kept in --state (default ~/.gatehouse-authenticator.json, mode 0600). The PIN
may come from --pin or, better, is asked for without echo.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from gatehouse_authenticator.app import Authenticator, AuthenticatorError, PendingRequest
from gatehouse_authenticator.payloads import PayloadError
from gatehouse_authenticator.store import DeviceStore

DEFAULT_STATE = Path.home() / ".gatehouse-authenticator.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatehouse-authenticator", description="Reference authenticator app for Gatehouse"
    )
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="registrations file")
    parser.add_argument("--key-type", choices=["ed25519", "p256"], default="ed25519")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_payload(command: argparse.ArgumentParser) -> None:
        source = command.add_mutually_exclusive_group(required=True)
        source.add_argument("--payload", help="the QR code's content as text")
        source.add_argument("--image", type=Path, help="a PNG image of the QR code")

    enrol = commands.add_parser("enrol", help="register this app with an enrolment QR code")
    with_payload(enrol)
    enrol.add_argument("--pin")
    commands.add_parser("requests", help="list pending sign-in requests")
    approve = commands.add_parser("approve", help="approve a request (PIN + number)")
    approve.add_argument("request_id")
    approve.add_argument("--pin")
    approve.add_argument("--number", help="the number the browser shows")
    deny = commands.add_parser("deny", help="deny a request")
    deny.add_argument("request_id")
    otp = commands.add_parser("otp", help="one-time password for a sign-in QR code (offline)")
    with_payload(otp)
    otp.add_argument("--pin")
    commands.add_parser("devices", help="list this app's registrations")
    return parser


def _payload(args: argparse.Namespace) -> str:
    if args.payload is not None:
        return str(args.payload)
    from gatehouse_authenticator.camera import read_qr  # noqa: PLC0415  (needs zxing-cpp)

    return read_qr(args.image.read_bytes())


def _pin(args: argparse.Namespace) -> str:
    return str(args.pin) if args.pin else getpass.getpass("PIN: ")


def _find(app: Authenticator, request_id: str) -> PendingRequest:
    try:
        wanted = uuid.UUID(request_id)
    except ValueError as error:
        raise AuthenticatorError("REQUEST_ID is not a request id") from error
    for request in app.pending_requests():
        if request.request_id == wanted:
            return request
    raise AuthenticatorError("no such pending request (answered, expired, or not for this app)")


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    app = Authenticator(DeviceStore(args.state), key_type=args.key_type)
    if args.command == "enrol":
        device = app.enrol(_payload(args), pin=_pin(args))
        print(f"Registration complete: {device.account} on {device.server}")
    elif args.command == "requests":
        requests = app.pending_requests()
        for request in requests:
            print(f"{request.request_id}  {request.describe()}")
        if not requests:
            print("No pending requests.")
    elif args.command == "approve":
        request = _find(app, args.request_id)
        print(request.describe())
        number = args.number or input("Number shown in the browser: ")
        print(app.approve(request, pin=_pin(args), number=number.strip()))
    elif args.command == "deny":
        print(app.deny(_find(app, args.request_id)))
    elif args.command == "otp":
        print(app.one_time_password(_payload(args), pin=_pin(args)))
    else:
        for device in app.store.all():
            print(f"{device.device_id}  {device.account}  {device.server}  ({device.key_type})")
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = run(argv)
    except (AuthenticatorError, PayloadError, ValueError, OSError) as error:
        print(f"gatehouse-authenticator: {error}", file=sys.stderr)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
