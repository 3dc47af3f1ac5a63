"""One input boundary for every service (issue 13, findings 1 and 2): text that PostgreSQL or a
JSON encoder cannot hold — NUL, unpaired surrogates, bytes that are not UTF-8 — is refused
with 422 naming the field, whichever transport brought it (JSON, form, query, path, gRPC), and
the refusal keeps the kept-alive connection open."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import grpc
import httpx
import pytest

from gatehouse.identity.v1 import user_service_pb2
from gatehouse.notifier.v1 import message_service_pb2
from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import bearer, identity_client, signed_in_account
from tests.oidc_helpers import Browser, registry_browser

pytestmark = pytest.mark.stack

NUL = "a\u0000b"
SURROGATE = "x\ud800y"  # json.dumps writes it as the escape "\ud800", as an attacker would


class KeptAlive:
    """One HTTP/1.1 connection used for several requests, to see whether the server keeps it."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        self._connection.connect()
        self._socket = self._connection.sock

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        self._connection.request(method, path, body=body, headers=headers or {})
        response = self._connection.getresponse()
        data = response.read()
        assert self._connection.sock is self._socket, f"{method} {path} closed the connection"
        assert (response.getheader("connection") or "").lower() != "close", (method, path)
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data

    def close(self) -> None:
        self._connection.close()


@pytest.fixture
def kept_alive(stack: Stack) -> Iterator[KeptAlive]:
    connection = KeptAlive(stack.identity_url)
    yield connection
    connection.close()


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: a lone surrogate travels as "\ud800"


def _names_field(body: Any, *location: str | int) -> bool:
    return isinstance(body, dict) and [*location] in [d.get("loc") for d in body.get("detail", [])]


# A fixed id, not uuid4(): parameter ids must be the same in every pytest-xdist worker.
UNKNOWN_ID = uuid.UUID("00000000-0000-4000-8000-00000000dead")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/sessions", {"email": f"{NUL}@x.se", "password": "x"}, "email"),
        ("/api/v1/sessions", {"email": "a@x.se", "password": NUL}, "password"),
        ("/api/v1/password/forgot", {"email": f"{SURROGATE}@example.se"}, "email"),
        ("/api/v1/password/set", {"token": SURROGATE, "password": "Secret#2025ab"}, "token"),
        (
            "/api/v1/accounts",
            {
                "first_name": SURROGATE,
                "last_name": "S",
                "email": "a@example.se",
                "email_confirmation": "a@example.se",
                "email_language": "en",
                "privacy_statement_accepted": True,
            },
            "first_name",
        ),
        ("/api/v1/mobile-app/registrations", {"enrolment_id": SURROGATE}, "enrolment_id"),
        ("/api/v1/sessions", {"email": "a@x.se", "password": "x", SURROGATE: 1}, SURROGATE),
    ],
)
def test_unfit_text_in_json_is_refused_naming_the_field_on_the_same_connection(
    kept_alive: KeptAlive, path: str, body: dict[str, Any], field: str
) -> None:
    status, answer = kept_alive.request(
        "POST", path, _json(body), {"Content-Type": "application/json"}
    )
    assert status == 422, answer
    assert _names_field(answer, "body", field.encode("unicode_escape").decode()), answer
    # The connection answers the next request.
    assert kept_alive.request("GET", "/healthz")[0] == 200


def test_every_kind_of_bad_body_gets_a_4xx_on_the_same_connection(kept_alive: KeptAlive) -> None:
    json_type = {"Content-Type": "application/json"}
    cases: list[tuple[bytes, dict[str, str]]] = [
        (b'{"email": "\xff", "password": "x"}', json_type),  # not UTF-8
        (b"\xff\xfe{", {"Content-Type": "text/plain"}),  # was echoed back: 500, now 415
        (b'{"email": "a@x.se", "password": ', json_type),  # truncated JSON
        (b"[" * 5000, json_type),  # nested deeper than any parser recurses
        (b'{"email": "\\ud800\\udc00", "password": "x"}', json_type),  # a proper pair: fine
        (b"email=a%00b&password=x", {"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    for body, headers in cases:
        status, answer = kept_alive.request("POST", "/api/v1/sessions", body, headers)
        assert 400 <= status < 500, (body[:40], status, answer)
    assert kept_alive.request("GET", "/healthz")[0] == 200


def test_unfit_text_in_forms_query_and_path_is_refused_naming_where(stack: Stack) -> None:
    with httpx.Client(base_url=stack.identity_url, timeout=30) as client:
        form = client.post("/login", data={"email": NUL, "password": "x", "csrf_token": "t" * 30})
        assert form.status_code == 422, form.text
        assert _names_field(form.json(), "body", "email")
        not_utf8 = client.post(
            "/login",
            content=b"email=a%ED%A0%80b&password=x",  # a surrogate, UTF-8-encoded: not UTF-8
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert not_utf8.status_code == 422, not_utf8.text
        assert _names_field(not_utf8.json(), "body", "email")
        query = client.get("/login", params={"next": NUL})
        assert query.status_code == 422, query.text
        assert _names_field(query.json(), "query", "next")
        path = client.get("/captcha/a%00b/image.png")
        assert path.status_code == 422, path.text
        assert _names_field(path.json(), "path")
        multipart = client.post("/login", files={"email": ("e", b"a\x00b")})
        assert multipart.status_code == 415, multipart.text


def test_nul_in_signed_in_identity_operations_is_refused(
    stack: Stack, mailbox: MailboxClient
) -> None:
    with identity_client(stack) as client:
        _, token = signed_in_account(client, mailbox)
        renamed = client.patch("/api/v1/me", json={"first_name": NUL}, headers=bearer(token))
        assert renamed.status_code == 422, renamed.text
        assert _names_field(renamed.json(), "body", "first_name")
        app = client.post(
            "/api/v1/me/authenticator-apps", json={"name": NUL}, headers=bearer(token)
        )
        assert app.status_code == 422, app.text
        assert _names_field(app.json(), "body", "name")
        factor = client.patch(
            f"/api/v1/me/second-factors/{uuid.uuid4()}", json={"name": NUL}, headers=bearer(token)
        )
        assert factor.status_code == 422, factor.text
        assert _names_field(factor.json(), "body", "name")
        assert client.get("/api/v1/me", headers=bearer(token)).json()["first_name"] == "Anna"


@pytest.fixture(scope="module")
def registry_user(stack: Stack) -> Iterator[Browser]:
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        browser = registry_browser(stack, mailbox)
    yield browser
    browser.close()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/operators?country=SE&q=%00", "q"),
        ("/api/v1/operators?country=SE&section=%00", "section"),
        ("/api/v1/operators?country=SE&activity_type=%00", "activity_type"),
        ("/api/v1/authorities?chapter=%00", "chapter"),
        ("/request-authorisation/operator?country=SE&q=%00", "q"),
        ("/request-authorisation/operator?country=SE&q=%ED%A0%80", "q"),
    ],
)
def test_nul_in_registry_queries_never_reaches_postgresql(
    stack: Stack, registry_user: Browser, path: str, field: str
) -> None:
    response = registry_user.get(f"{stack.registry_url}{path}")
    assert response.status_code == 422, response.text
    assert _names_field(response.json(), "query", field)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/operators", {"name": SURROGATE}, "name"),
        ("/api/v1/role-requests", {"organization_id": SURROGATE}, "organization_id"),
        (f"/api/v1/role-requests/{UNKNOWN_ID}/reject", {"reason": SURROGATE}, "reason"),
        (f"/api/v1/operators/{UNKNOWN_ID}/reject", {"reason": NUL}, "reason"),
    ],
)
def test_unfit_text_in_registry_bodies_is_refused_naming_the_field(
    stack: Stack, registry_user: Browser, path: str, body: dict[str, Any], field: str
) -> None:
    response = registry_user.post(
        f"{stack.registry_url}{path}",
        content=_json(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert _names_field(response.json(), "body", field)


def test_grpc_string_fields_with_nul_are_invalid_arguments_naming_the_field(stack: Stack) -> None:
    token = mint_service_token(stack.service_auth_secret.encode(), caller="notifier")
    with grpc.insecure_channel(stack.identity_grpc_target) as channel:
        get_by_email = channel.unary_unary(
            "/gatehouse.identity.v1.UserService/GetUserByEmail",
            request_serializer=user_service_pb2.GetUserByEmailRequest.SerializeToString,
            response_deserializer=user_service_pb2.GetUserByEmailResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as refused:
            get_by_email(
                user_service_pb2.GetUserByEmailRequest(email=f"{NUL}@example.se"),
                metadata=[("authorization", f"Bearer {token}")],
                timeout=10,
            )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "email" in (refused.value.details() or "")


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"user_id": f"{NUL}"}, "user_id"),
        ({"user_id": str(uuid.uuid4()), "page_size": -1}, "page_size"),
        ({"user_id": str(uuid.uuid4()), "page_token": "not a token"}, "page_token"),
        ({"user_id": str(uuid.uuid4()), "page_token": f"x{NUL}"}, "page_token"),
    ],
)
def test_notifier_message_requests_out_of_bounds_are_invalid_arguments_naming_the_field(
    stack: Stack, request_fields: dict[str, Any], field: str
) -> None:
    token = mint_service_token(stack.service_auth_secret.encode(), caller="identity")
    with grpc.insecure_channel(stack.notifier_grpc_target) as channel:
        list_messages = channel.unary_unary(
            "/gatehouse.notifier.v1.MessageService/ListUserMessages",
            request_serializer=message_service_pb2.ListUserMessagesRequest.SerializeToString,
            response_deserializer=message_service_pb2.ListUserMessagesResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as refused:
            list_messages(
                message_service_pb2.ListUserMessagesRequest(**request_fields),
                metadata=[("authorization", f"Bearer {token}")],
                timeout=10,
            )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (refused.value.details() or "")
