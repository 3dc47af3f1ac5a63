"""The shared domain-error shape: what API clients and pages get from any service's error."""

from __future__ import annotations

import json
from pathlib import Path

import grpc

from gatehouse_common.errors import (
    DomainError,
    ErrorKind,
    error_body,
    error_codes,
    grpc_status,
    http_status,
)
from gatehouse_common.web_i18n import Catalogs


class _TooShortError(DomainError):
    code = "name_too_short"
    kind = ErrorKind.INVALID_INPUT


class _MissingError(DomainError):
    code = "thing_not_found"
    kind = ErrorKind.NOT_FOUND


def test_field_error_is_shaped_like_fastapis_own_422() -> None:
    error = _TooShortError("the name is too short", field="contacts[1].name", minimum=2)
    assert http_status(error) == 422
    assert error_body(error) == {
        "code": "name_too_short",
        "minimum": 2,
        "detail": [
            {
                "loc": ["body", "contacts", 1, "name"],
                "msg": "the name is too short",
                "type": "value_error",
            }
        ],
    }


def test_error_without_field_carries_code_and_message() -> None:
    error = _MissingError("no such thing")
    assert http_status(error) == 404
    assert grpc_status(error) == grpc.StatusCode.NOT_FOUND
    assert error_body(error) == {"code": "thing_not_found", "detail": "no such thing"}


def test_every_kind_has_an_http_and_a_grpc_status() -> None:
    for kind in ErrorKind:
        error = type("E", (DomainError,), {"kind": kind})("x")
        assert 400 <= http_status(error) < 500
        assert grpc_status(error) != grpc.StatusCode.OK


def test_codes_of_a_hierarchy_are_enumerated() -> None:
    assert {"name_too_short", "thing_not_found"} <= error_codes(DomainError)


def test_page_sentence_is_looked_up_by_code_not_by_english_text(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"error.name_too_short": "Use {minimum}+."}))
    (tmp_path / "sv.json").write_text(json.dumps({"error.name_too_short": "Minst {minimum}."}))
    catalogs = Catalogs(tmp_path, languages=("en", "sv"), default="en")
    error = _TooShortError("reworded English text", minimum=2)
    assert catalogs.translator("sv").error(error) == "Minst 2."
    assert catalogs.translator("en").error(error) == "Use 2+."
    assert catalogs.translator("sv").error(_MissingError("no such thing")) == "no such thing"
