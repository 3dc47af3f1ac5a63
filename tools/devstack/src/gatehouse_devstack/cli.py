"""`gatehouse-dev`: the whole system on this machine, for development.

    gatehouse-dev run    # what `make run` does; Ctrl-C stops everything

Ports and external servers are chosen with environment variables: IDENTITY_HTTP_PORT, ...,
DATABASE_URL, NATS_URL, SMTP_HOST (see gatehouse_devstack.stack). Once every service is ready,
the functions in `gatehouse_devstack.stack.post_start_hooks` run (in tests too).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from gatehouse_devstack.stack import Stack, StackError, StackOptions

WATCH_INTERVAL = 1.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gatehouse-dev", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the whole system until Ctrl-C")
    run.add_argument(
        "--root", type=Path, default=Path.cwd(), help="directory for var/ (default: here)"
    )
    args = parser.parse_args(argv)
    sys.exit(run_development_stack(args.root))


def run_development_stack(root: Path) -> int:
    """Start the stack, show where everything is, and stop it all on Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, _interrupt)  # a `kill` stops as cleanly as Ctrl-C does
    try:
        options = StackOptions.development(root)
    except StackError as error:
        print(error, file=sys.stderr)
        return 2
    stack = Stack(options, report=print)
    print(f"Starting Gatehouse (logs in {_shown(options.run_dir / 'logs')})")
    try:
        stack.start()
    except StackError as error:
        print(f"\nGatehouse did not start.\n{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted: everything that had started is stopped again.")
        return 130
    try:
        print(describe(stack))
        watch(stack)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping Gatehouse...")
        stack.stop()
    print(f"Stopped. Data is kept in {_shown(options.data_dir)} (delete it to start afresh).")
    return 0


def describe(stack: Stack) -> str:
    """The table of addresses printed once the system is up."""
    rows = [
        ("Identity (accounts, sign-in)", stack.env_for("identity")["PUBLIC_URL"]),
        ("Registry (operators)", stack.env_for("registry")["PUBLIC_URL"]),
        ("Mailbox (emails sent)", _mailbox_address(stack)),
        ("Notifier metrics", f"{stack.notifier_url}/metrics"),
        ("NATS JetStream", _nats_address(stack)),
        ("PostgreSQL", _postgres_address(stack)),
    ]
    width = max(len(label) for label, _ in rows)
    table = "\n".join(f"  {label:<{width}}  {address}" for label, address in rows)
    logs = _shown(stack.logs_dir)
    return f"\nGatehouse is running.\n\n{table}\n\nLogs: {logs}/<name>.log. Press Ctrl-C to stop.\n"


def watch(stack: Stack) -> None:
    """Wait for Ctrl-C, telling the developer (once) about any process that stops by itself."""
    reported: set[str] = set()
    while True:
        time.sleep(WATCH_INTERVAL)
        for name, component in stack.components().items():
            if not component.is_running and name not in reported:
                reported.add(name)
                print(f"\n{name} has stopped unexpectedly.\n{component.log_tail(20)}")


def _mailbox_address(stack: Stack) -> str:
    if stack.mailbox_url is not None:
        return stack.mailbox_url
    external = stack.options.external
    return f"none: mail goes to the SMTP server {external.smtp_host}:{external.smtp_port}"


def _nats_address(stack: Stack) -> str:
    if stack.nats is not None:
        return f"{stack.nats_url}  (monitoring {stack.nats.monitor_url})"
    return f"{stack.nats_url}  (external; stream {stack.events_stream})"


def _postgres_address(stack: Stack) -> str:
    databases = ", ".join(url.rsplit("/", 1)[-1] for url in stack.database_urls.values())
    server = stack.postgres.server_url if stack.postgres is not None else "external server"
    return f"{server}  (databases {databases})"


def _shown(path: Path) -> str:
    """`path` relative to the current directory when it is below it: shorter to read."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
