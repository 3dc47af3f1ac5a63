"""Identity's layering, read from its source (issue 16): transports only translate, and rows are
mapped only in query modules.

- A transport (a module under `api/` or `web/`, `grpc_api.py`, `*routes.py`, `*pages.py`,
  `*api.py`, or any module declaring an `APIRouter` or a gRPC servicer) builds no SQL (no
  SQLAlchemy import, no SQL string) and opens no transaction: it parses, calls one service
  function, and maps the result or the domain error.
- asyncpg is not spoken (`fetch`, `fetchrow`, `fetchval`, `executemany`, `acquire`, the names
  of the raw bridge that libs/common had while services were converted, `import asyncpg`)
  outside `queries.py` modules: code runs SQLAlchemy Core statements on an `AsyncConnection`.

The allow-lists below are the honest record of exceptions. They may only shrink: an entry whose
module no longer breaks the rule fails the test, so it is taken out in the commit that fixes it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gatehouse_identity"

# Words that begin a statement in an SQL string literal (a sentence in a docstring or a message
# does not look like this: upper-case keyword followed by what a statement has next).
SQL_STRING = re.compile(
    r"\b(SELECT\s+[\w*(]|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|WITH\s+\w+\s+AS\s*\()"
)
ASYNCPG_CALLS = frozenset({"fetch", "fetchrow", "fetchval", "executemany", "acquire"})
BRIDGE_NAMES = frozenset({"raw_pool", "raw_connection", "RawPool", "database_behind"})

# Transports that still touch the database layer themselves, each with its reason. Empty since
# the last one (api/dependencies.py, which handed the raw pool to the routes) was converted.
TRANSPORTS_WITH_SQL: dict[str, str] = {}

# Modules (not queries.py) that still use asyncpg directly. Empty since identity's data layer is
# on SQLAlchemy Core (issue 16); the rule stays so that none comes back.
ASYNCPG_OUTSIDE_QUERIES: frozenset[str] = frozenset()


# Modules that keep asyncpg for what SQLAlchemy's pool cannot do, each with its reason (checked
# like the list above).
DEDICATED_ASYNCPG: dict[str, str] = {
    "oidc/backchannel.py": "LISTEN needs a connection of its own, outside the pool (as the outbox "
    "relay in libs/common)",
}


def _modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(PACKAGE).as_posix(): ast.parse(path.read_text(), str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


MODULES = _modules()


def _declares_transport(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) == "APIRouter":
            return True
        if isinstance(node, ast.ClassDef) and any(
            _dotted(base).endswith("Servicer") for base in node.bases
        ):
            return True
    return False


def is_transport(name: str, tree: ast.Module) -> bool:
    file = name.rsplit("/", 1)[-1]
    return (
        name.startswith(("api/", "web/"))
        or file in {"grpc_api.py", "api.py", "routes.py", "pages.py"}
        or file.endswith(("_routes.py", "_pages.py", "_api.py"))
        or _declares_transport(tree)
    )


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _called_name(node: ast.Call) -> str:
    function = node.func
    if isinstance(function, ast.Attribute):
        return function.attr
    if isinstance(function, ast.Name):
        return function.id
    return ""


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the string constants that are docstrings (prose may name SQL keywords)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ) and (body := node.body):
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_in_transport(tree: ast.Module) -> list[str]:
    """What makes a transport module more than a translator: SQL or a transaction."""
    problems: list[str] = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            problems.append(f"line {node.lineno}: imports {node.module}")
        elif isinstance(node, ast.Import) and any(
            alias.name.startswith(("sqlalchemy", "asyncpg")) for alias in node.names
        ):
            problems.append(f"line {node.lineno}: imports SQLAlchemy or asyncpg")
        elif isinstance(node, ast.Call) and _called_name(node) == "transaction":
            problems.append(f"line {node.lineno}: opens a transaction")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and SQL_STRING.search(node.value)
        ):
            problems.append(f"line {node.lineno}: SQL string")
    return problems


def asyncpg_use(tree: ast.Module) -> list[str]:
    """Where a module speaks asyncpg (or the raw bridge) instead of SQLAlchemy Core."""
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(alias.name == "asyncpg" for alias in node.names):
            problems.append(f"line {node.lineno}: import asyncpg")
        elif isinstance(node, ast.Call) and _called_name(node) in ASYNCPG_CALLS:
            problems.append(f"line {node.lineno}: .{_called_name(node)}(")
        elif (isinstance(node, ast.Attribute) and node.attr in BRIDGE_NAMES) or (
            isinstance(node, ast.Name) and node.id in BRIDGE_NAMES
        ):
            problems.append(f"line {node.lineno}: the raw asyncpg bridge")
        elif isinstance(node, ast.alias) and node.name in BRIDGE_NAMES:
            problems.append("imports the raw asyncpg bridge")
    return problems


def _is_queries(name: str) -> bool:
    return name.rsplit("/", 1)[-1] == "queries.py"


TRANSPORTS = sorted(name for name, tree in MODULES.items() if is_transport(name, tree))


def test_the_transports_are_found() -> None:
    """The rule below checks something: the known transports are recognised as such."""
    for name in ("grpc_api.py", "api/accounts.py", "web/account_pages.py", "oidc/admin_api.py"):
        assert name in TRANSPORTS
    assert "accounts/service.py" not in TRANSPORTS


@pytest.mark.parametrize("name", TRANSPORTS)
def test_transports_run_no_sql_and_open_no_transaction(name: str) -> None:
    problems = sql_in_transport(MODULES[name])
    if name in TRANSPORTS_WITH_SQL:
        assert problems, f"{name} is clean now: take it off TRANSPORTS_WITH_SQL"
    else:
        assert not problems, f"{name} is a transport but {problems}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_asyncpg_only_in_query_modules(name: str) -> None:
    if _is_queries(name):
        return
    problems = asyncpg_use(MODULES[name])
    if name in ASYNCPG_OUTSIDE_QUERIES or name in DEDICATED_ASYNCPG:
        assert problems, f"{name} is converted now: take it off ASYNCPG_OUTSIDE_QUERIES"
    else:
        assert not problems, f"{name} speaks asyncpg outside a queries module: {problems}"


def test_the_allow_lists_name_existing_modules() -> None:
    assert set(TRANSPORTS_WITH_SQL) <= set(TRANSPORTS)
    assert set(MODULES) >= ASYNCPG_OUTSIDE_QUERIES | set(DEDICATED_ASYNCPG)


def test_the_rules_catch_what_they_are_about() -> None:
    """The detectors themselves: each finds what it is for, and prose is not SQL."""
    offending = ast.parse(
        "from sqlalchemy import select\n"
        "async def f(db):\n"
        "    async with db.transaction():\n"
        "        await db.fetchrow('SELECT id FROM users WHERE x = $1', 1)\n"
        "    return raw_connection(db)\n"
    )
    assert len(sql_in_transport(offending)) == 3
    assert len(asyncpg_use(offending)) == 2
    prose = ast.parse('"""Select the user, then update the page."""\nx = "Delete it"\n')
    assert sql_in_transport(prose) == []
