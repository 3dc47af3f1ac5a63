"""The input boundary and the origin checks every service's application is built with
(create_service_app), exercised on a small application of their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from gatehouse.identity.v1 import user_service_pb2
from gatehouse_common.cross_origin import allow_cross_origin
from gatehouse_common.http_app import create_service_app
from gatehouse_common.input_boundary import unfit_in_json, unfit_in_message, unfit_in_urlencoded

PUBLIC = "https://login.example.se"


class Contact(BaseModel):
    email: str


class Body(BaseModel):
    name: str
    contacts: list[Contact] = []


def _app() -> FastAPI:
    app = create_service_app(
        service="boundary-test",
        title="test",
        version="0",
        readiness_checks={},
        max_request_bytes=64 * 1024,
        public_url=PUBLIC,
    )
    received: list[Any] = []
    app.state.received = received

    @app.post("/api/v1/things")
    async def create_thing(body: Body) -> dict[str, str]:
        received.append(body)
        return {"name": body.name}

    @app.get("/api/v1/things")
    async def search(q: str = "") -> dict[str, str]:
        return {"q": q}

    @app.post("/form")
    async def form_page() -> dict[str, str]:
        received.append("form")
        return {}

    @app.post("/echo")  # outside the JSON prefixes: any body type reaches validation
    async def echo(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.post("/oauth/token")
    async def token() -> dict[str, str]:
        return {}

    allow_cross_origin(app, "/oauth/token", reason="clients call it from their servers")
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(_app(), base_url=PUBLIC) as test_client:
        yield test_client


def _loc(response: Any) -> list[Any]:
    location: list[Any] = response.json()["detail"][0]["loc"]
    return location


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (b'{"name": "a\\u0000b"}', ["body", "name"]),
        (b'{"name": "a\\ud800b"}', ["body", "name"]),
        (b'{"name": "x", "contacts": [{"email": "ok"}, {"email": "\\udfff"}]}',
         ["body", "contacts", 1, "email"]),
        (b'{"name": "x", "\\u0000": 1}', ["body", "\\x00"]),
        (b'{"name": "\xff"}', ["body"]),
    ],
)  # fmt: skip
def test_unfit_json_is_refused_naming_where_before_the_handler(
    client: TestClient, body: bytes, location: list[Any]
) -> None:
    response = client.post(
        "/api/v1/things", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert _loc(response) == location
    assert response.json()["code"] == "unfit_text"
    assert client.app.state.received == []  # type: ignore[attr-defined]


def test_fit_text_passes_untouched(client: TestClient) -> None:
    name = "Åsa \u202egnp.exe \U0001f600 " + "x" * 10_000  # bidi control, emoji, long
    response = client.post("/api/v1/things", json={"name": name})
    assert response.status_code == 200
    assert response.json() == {"name": name}
    pair = client.post(
        "/api/v1/things",
        content=b'{"name": "\\ud83d\\ude00"}',
        headers={"Content-Type": "application/json"},
    )
    assert pair.json() == {"name": "\U0001f600"}


def test_query_form_and_path_are_checked(client: TestClient) -> None:
    assert _loc(client.get("/api/v1/things?q=%00")) == ["query", "q"]
    assert _loc(client.get("/api/v1/things?q=%ff")) == ["query", "q"]
    assert _loc(client.get("/api/v1/things?%00=1")) == ["query", "\\x00"]
    assert client.get("/api/v1/things", params={"q": "å + b"}).json() == {"q": "å + b"}
    assert _loc(client.get("/api/v1/th%00ings")) == ["path"]
    form = client.post(
        "/form",
        content=b"a=1&name=x%00y",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 422
    assert _loc(form) == ["body", "name"]
    multipart = client.post("/form", files={"name": ("n", b"x")})
    assert multipart.status_code == 415


def test_validation_errors_never_echo_what_cannot_be_encoded(client: TestClient) -> None:
    response = client.post("/echo", content=b"\xff\xfe{", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert "input" not in response.json()["detail"][0]


def test_cross_origin_state_changes_are_refused(client: TestClient) -> None:
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "https://sibling.example.se", "Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ):
        response = client.post("/form", headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["code"] == "cross_origin_refused"
    assert client.app.state.received == []  # type: ignore[attr-defined]
    # Reading is never refused; the own origin, a program (no headers) and exemptions pass.
    assert client.get("/api/v1/things", headers={"Origin": "https://evil.example"}).is_success
    assert client.post("/form", headers={"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"})
    assert client.post("/form").is_success
    # Pages sent with Referrer-Policy: no-referrer post with Origin: null; Fetch Metadata vouches.
    assert client.post("/form", headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert client.post("/oauth/token", headers={"Origin": "https://rp.example"}).is_success


def test_json_endpoints_refuse_other_body_types(client: TestClient) -> None:
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        response = client.post(
            "/api/v1/things", content=b"name=x", headers={"Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
    assert client.post("/api/v1/things", json={"name": "x"}).is_success


def test_checkers_find_the_first_unfit_place() -> None:
    assert unfit_in_json({"a": [1, {"b": "ok"}]}) is None
    found = unfit_in_json({"a": [1, {"b": "\x00"}]})
    assert found is not None
    assert found.location == ("body", "a", 1, "b")
    assert unfit_in_urlencoded(b"a=1&b=%C3%A5", "query") is None
    assert unfit_in_urlencoded(b"a=%ED%A0%80", "query") is not None  # an encoded surrogate
    message = user_service_pb2.BatchGetUsersRequest(user_ids=["a", "b\x00"])
    unfit = unfit_in_message(message)
    assert unfit is not None
    assert unfit.field_name() == "user_ids[1]"
    assert unfit_in_message(user_service_pb2.GetUserRequest(user_id="x")) is None
