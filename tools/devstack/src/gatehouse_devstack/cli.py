"""`gatehouse-dev`: the whole system on this machine, for development.

    gatehouse-dev run           # what `make run` does; Ctrl-C stops everything
    gatehouse-dev run --demo    # `make demo`: the same with example people and operators
    gatehouse-dev manage registry add-administrator --email … --organization-code …
                                # `make manage ARGS=…`: a service's operating command, with the
                                # settings `make run` gives that service
    gatehouse-dev demo-code emma  # `make demo-code WHO=emma`: an example account's app code
    gatehouse-dev revision notifier "what changes"  # the next Alembic revision, from tables.py

Ports and external servers are chosen with environment variables: IDENTITY_HTTP_PORT, ...,
DATABASE_URL, NATS_URL, SMTP_HOST (see gatehouse_devstack.stack). Once every service is ready,
the functions in `gatehouse_devstack.stack.post_start_hooks` run (in tests too).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import NoReturn

from gatehouse_devstack.demo import DemoData, demo_file, load_demo_data, wait_for_current_code
from gatehouse_devstack.demo import describe as demo_table
from gatehouse_devstack.stack import Stack, StackError, StackOptions, recorded_run_id
from gatehouse_devstack.supervisor import Supervisor

WATCH_INTERVAL = 1.0


SERVICES_WITH_COMMANDS = ("identity", "registry", "notifier")


class CommandParser(argparse.ArgumentParser):
    """A wrong invocation is said in one line that names the help (like the services' commands,
    gatehouse_common.cli, which this launcher does not depend on)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see: {self.prog} --help)\n")


def _parser() -> CommandParser:
    parser = CommandParser(prog="gatehouse-dev", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    run = commands.add_parser("run", help="start the whole system until Ctrl-C")
    run.add_argument(
        "--demo",
        action="store_true",
        help="add example people and operators (once) and print how to sign in as each",
    )
    manage = commands.add_parser(
        "manage",
        help="run a service's operating command beside `make run`, with its settings",
        description="Runs `python -m gatehouse_<service> <command> …` with the settings "
        "`make run` gives that service. `gatehouse-dev manage <service> --help` lists them.",
    )
    manage.add_argument("service", choices=SERVICES_WITH_COMMANDS)
    manage.add_argument("arguments", nargs=argparse.REMAINDER, help="the command and its options")
    code = commands.add_parser("demo-code", help="the current app code of an example account")
    code.add_argument(
        "who", help="the account's short name or e-mail address (make demo lists them)"
    )
    revision = commands.add_parser(
        "revision",
        help="write a service's next Alembic revision from its tables.py (a draft to complete)",
    )
    revision.add_argument("service", choices=SERVICES_WITH_COMMANDS)
    revision.add_argument("message", help="what the revision changes, e.g. 'add users.locale'")
    for each in (run, manage, code):
        each.add_argument(
            "--root", type=Path, default=Path.cwd(), help="directory of var/ (default: here)"
        )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "run":
        sys.exit(run_development_stack(args.root, demo=args.demo))
    if args.command == "revision":
        from gatehouse_devstack.revision import write_revision  # noqa: PLC0415  (needs Alembic)

        sys.exit(write_revision(args.service, args.message))
    try:
        if args.command == "manage":
            sys.exit(manage(args.root, args.service, args.arguments))
        sys.exit(demo_code(args.root, args.who))
    except StackError as error:
        sys.stderr.write(f"gatehouse-dev: {error}\n")
        sys.exit(1)


def _stopped_stack(root: Path) -> Stack:
    """The wiring (ports, databases, secrets) of the development stack `make run` started here,
    without starting anything. On an external server (DATABASE_URL) its databases are named
    after its run, which it recorded in the data directory: a new run id would name databases
    that do not exist."""
    options = StackOptions.development(root)
    stack = Stack(replace(options, run_id=recorded_run_id(options.data_dir)))
    if not stack.is_running_here():
        raise StackError(
            "Gatehouse is not running here: start `make run` (or `make demo`) in another "
            "terminal first"
        )
    return stack


def manage(root: Path, service: str, arguments: list[str]) -> int:
    """`python -m gatehouse_<service> arguments…` with the environment `make run` gives it."""
    env = {**os.environ, **_stopped_stack(root).env_for(service)}
    command = [sys.executable, "-m", f"gatehouse_{service}", *(arguments or ["--help"])]
    return subprocess.run(command, env=env, check=False).returncode


def demo_code(root: Path, who: str) -> int:
    data = DemoData.load(demo_file(_stopped_stack(root)))
    if data is None:
        raise StackError("there are no example accounts yet: start `make demo` first")
    person = data.person(who)
    print(f"{wait_for_current_code(person)}  ({person.full_name}, {person.email})")
    return 0


def run_development_stack(root: Path, *, demo: bool = False) -> int:
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
        if demo:
            print("Adding the example people and operators (once)...")
            print(demo_table(load_demo_data(stack), stack))
        watch(stack)
    except StackError as error:
        print(f"\nThe example data could not be added.\n{error}", file=sys.stderr)
        return 1
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
    """Until Ctrl-C, start again (with backoff, saying so) any process that stops by itself."""
    supervisor = Supervisor(stack.components, report=_say_restart)
    while True:
        time.sleep(WATCH_INTERVAL)
        supervisor.check()


def _say_restart(line: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"{stamp} {line}", flush=True)


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


if __name__ == "__main__":
    main()
