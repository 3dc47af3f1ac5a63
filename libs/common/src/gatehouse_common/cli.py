"""What every operating command (`python -m gatehouse_<service> …`) shares: help on every command,
and one clear line — never a traceback — for a wrong invocation, a missing setting, a server that
cannot be reached, or a domain error.

argparse already writes the help; `CommandParser` only shortens its complaint to one line that
says where the help is. `run_command` turns the failures a person can cause or fix into one line
on stderr and an exit status (2: wrong invocation or setting, 1: the command could not be done).
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from pydantic import ValidationError

from gatehouse_common.errors import DomainError

WRONG_USAGE = 2
FAILED = 1


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose complaint is one line naming the help (subcommands inherit it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(WRONG_USAGE, f"{self.prog}: {message} (see: {self.prog} --help)\n")


def missing_settings(error: ValidationError) -> str:
    """What the settings class refused (the variables it names), as one sentence."""
    problems = [
        f"{issue['loc'][0]!s}".upper() + ": " + issue["msg"] if issue["loc"] else issue["msg"]
        for issue in error.errors()
    ]
    return (
        f"settings refused ({'; '.join(problems).removeprefix('Value error, ')}). Beside "
        "`make run`, run the command as `make manage ARGS='<service> <command> …'`, which sets "
        "every setting for you"
    )


def run_command(
    prog: str,
    command: Callable[[], None],
    *,
    expected: tuple[type[BaseException], ...] = (),
) -> None:
    """Run `command`; failures a person can fix end the process with one line on stderr."""
    said: tuple[type[BaseException], ...] = (DomainError, *expected)
    try:
        command()
    except ValidationError as error:
        _fail(prog, missing_settings(error), WRONG_USAGE)
    except said as error:
        _fail(prog, str(error), FAILED)
    except (ConnectionError, TimeoutError, OSError) as error:
        _fail(prog, f"cannot reach a server it needs ({error}); is Gatehouse running?", FAILED)
    except KeyboardInterrupt:
        _fail(prog, "interrupted", 130)


def _fail(prog: str, message: str, status: int) -> NoReturn:
    sys.stderr.write(f"{prog}: {message}\n")
    sys.exit(status)
