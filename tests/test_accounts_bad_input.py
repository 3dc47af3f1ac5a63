"""Bad input to identity's account API and gRPC: a clear 4xx / status naming the field, never a
500, and nothing half-written."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import grpc
import httpx
import psycopg
import pytest

from gatehouse.identity.v1 import user_service_pb2 as pb
from gatehouse.identity.v1 import user_service_pb2_grpc as pb_grpc
from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    STRONG_PASSWORD,
    create_account,
    identity_client,
    link_token,
    unique_email,
)

pytestmark = pytest.mark.stack

VALID = {
    "first_name": "Anna",
    "last_name": "Svensson",
    "email": "anna@example.se",
    "email_confirmation": "anna@example.se",
    "email_language": "sv",
    "privacy_statement_accepted": True,
}


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def _fields(response: httpx.Response) -> set[str]:
    return {str(problem["loc"][-1]) for problem in response.json()["detail"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-address", "email_confirmation": "not-an-address"}, "email"),
        ({"email_confirmation": "someone.else@example.se"}, "email_confirmation"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "A" * 101}, "first_name"),
        ({"email_language": "xx"}, "email_language"),
        ({"privacy_statement_accepted": False}, "privacy_statement_accepted"),
        ({"unexpected": "field"}, "unexpected"),
    ],
)
def test_invalid_account_fields_are_named(
    client: httpx.Client, change: dict[str, object], field: str
) -> None:
    email = unique_email()
    body = {**VALID, "email": email, "email_confirmation": email, **change}
    response = client.post("/api/v1/accounts", json=body)
    assert response.status_code == 422
    assert field in _fields(response)


def test_missing_fields_are_named(client: httpx.Client) -> None:
    response = client.post("/api/v1/accounts", json={"first_name": "Anna"})
    assert response.status_code == 422
    assert {"last_name", "email", "email_confirmation", "email_language"} <= _fields(response)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'"text"', b"null"],
)
def test_malformed_json_is_a_4xx(client: httpx.Client, body: bytes) -> None:
    response = client.post(
        "/api/v1/accounts", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_oversized_body_is_refused_before_parsing(client: httpx.Client) -> None:
    body = {**VALID, "first_name": "A" * 200_000}
    response = client.post("/api/v1/accounts", json=body)
    assert response.status_code == 413


def test_weak_passwords_are_refused_with_the_rule(
    client: httpx.Client, mailbox: MailboxClient
) -> None:
    email = unique_email()
    client.post("/api/v1/accounts", json={**VALID, "email": email, "email_confirmation": email})
    (message,) = mailbox.wait_for(to=email)
    token = link_token(message)
    for weak in [
        "short#A1",
        "alllowercase#123",
        "ALLUPPERCASE#123",
        "NoDigitsHere#!",
        "NoSpecial1234",
    ]:
        response = client.post("/api/v1/password/set", json={"token": token, "password": weak})
        assert response.status_code == 422, weak
        assert _fields(response) == {"password"}
    # None of those spent the link.
    ok = client.post("/api/v1/password/set", json={"token": token, "password": STRONG_PASSWORD})
    assert ok.status_code == 200


@pytest.mark.parametrize("token", ["forged-token", "x" * 150, "a" * 43])
def test_forged_tokens_are_refused(client: httpx.Client, token: str) -> None:
    response = client.post(
        "/api/v1/password/set", json={"token": token, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 400
    assert _fields(response) == {"token"}


def test_expired_link_is_refused(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    email = unique_email()
    client.post("/api/v1/accounts", json={**VALID, "email": email, "email_confirmation": email})
    (message,) = mailbox.wait_for(to=email)
    token = link_token(message)
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "UPDATE password_links SET expires_at = now() - interval '1 second'"
            " WHERE token_hash = %s",
            (hashlib.sha256(token.encode()).digest(),),
        )
    response = client.post(
        "/api/v1/password/set", json={"token": token, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 400


def test_sign_in_with_malformed_fields_is_a_4xx(client: httpx.Client) -> None:
    assert client.post("/api/v1/sessions", json={"email": "", "password": "x"}).status_code == 422
    assert client.post("/api/v1/sessions", json={"email": "a@b.se"}).status_code == 422
    assert (
        client.post("/api/v1/sessions", json={"email": "a@b.se", "password": "x" * 300}).status_code
        == 422
    )


def test_me_without_a_session_is_401(client: httpx.Client) -> None:
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


# --- gRPC --------------------------------------------------------------------------------


@pytest.fixture
def users(stack: Stack) -> Iterator[tuple[pb_grpc.UserServiceStub, list[tuple[str, str]]]]:
    token = mint_service_token(stack.service_auth_secret.encode(), caller="tests")
    with grpc.insecure_channel(stack.identity_grpc_target) as channel:
        yield pb_grpc.UserServiceStub(channel), [("authorization", f"Bearer {token}")]


def _code(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call()  # type: ignore[operator]
    return raised.value.code()


def test_grpc_refuses_calls_without_a_service_token(stack: Stack) -> None:
    with grpc.insecure_channel(stack.identity_grpc_target) as channel:
        stub = pb_grpc.UserServiceStub(channel)
        request = pb.GetUserRequest(user_id=str(uuid.uuid4()))
        assert _code(lambda: stub.GetUser(request, timeout=5)) == grpc.StatusCode.UNAUTHENTICATED
        forged = [("authorization", "Bearer v1.tests.9999999999.forged")]
        assert (
            _code(lambda: stub.GetUser(request, timeout=5, metadata=forged))
            == grpc.StatusCode.UNAUTHENTICATED
        )


def test_grpc_user_lookups(
    users: tuple[pb_grpc.UserServiceStub, list[tuple[str, str]]],
    client: httpx.Client,
    mailbox: MailboxClient,
) -> None:
    stub, metadata = users
    account = create_account(client, mailbox, language="sv")
    found = stub.GetUserByEmail(
        pb.GetUserByEmailRequest(email=account.email), timeout=5, metadata=metadata
    )
    assert found.user.email_language == "sv"
    assert found.user.status == pb.USER_STATUS_ACTIVE
    same = stub.GetUser(pb.GetUserRequest(user_id=found.user.user_id), timeout=5, metadata=metadata)
    assert same.user == found.user
    unknown = str(uuid.uuid4())
    batch = stub.BatchGetUsers(
        pb.BatchGetUsersRequest(user_ids=[found.user.user_id, unknown]),
        timeout=5,
        metadata=metadata,
    )
    assert [user.user_id for user in batch.users] == [found.user.user_id]
    assert list(batch.missing_user_ids) == [unknown]


def test_grpc_password_links_in_a_batch(
    users: tuple[pb_grpc.UserServiceStub, list[tuple[str, str]]],
    client: httpx.Client,
    mailbox: MailboxClient,
) -> None:
    stub, metadata = users
    ids = []
    for _ in range(2):
        account = create_account(client, mailbox, language="en")
        ids.append(
            stub.GetUserByEmail(
                pb.GetUserByEmailRequest(email=account.email), timeout=5, metadata=metadata
            ).user.user_id
        )
    first, second = ids
    reset = pb.PASSWORD_LINK_PURPOSE_RESET
    asked = [first, str(uuid.uuid4()), second, first]
    response = stub.BatchCreatePasswordLinks(
        pb.BatchCreatePasswordLinksRequest(
            requests=[
                pb.CreatePasswordLinkRequest(user_id=user_id, purpose=reset, event_id="")
                for user_id in asked
            ]
        ),
        timeout=5,
        metadata=metadata,
    )
    assert [link.user_not_found for link in response.links] == [False, True, False, False]
    assert all(link.HasField("expire_time") for link in response.links if link.url)
    tokens = [link_token_of(link.url) if link.url else "" for link in response.links]

    def sets_a_password(token: str) -> bool:
        answer = client.post(
            "/api/v1/password/set", json={"token": token, "password": STRONG_PASSWORD}
        )
        return answer.status_code == 200

    # As if asked one by one: the later link for the same user retired the earlier one.
    assert not sets_a_password(tokens[0])
    assert sets_a_password(tokens[3])
    assert sets_a_password(tokens[2])


def link_token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


@pytest.mark.parametrize(
    ("method", "request_message", "expected"),
    [
        ("GetUser", pb.GetUserRequest(user_id=str(uuid.uuid4())), grpc.StatusCode.NOT_FOUND),
        ("GetUser", pb.GetUserRequest(user_id="not-a-uuid"), grpc.StatusCode.INVALID_ARGUMENT),
        ("GetUser", pb.GetUserRequest(), grpc.StatusCode.INVALID_ARGUMENT),
        (
            "GetUserByEmail",
            pb.GetUserByEmailRequest(email="nobody@example.se"),
            grpc.StatusCode.NOT_FOUND,
        ),
        (
            "GetUserByEmail",
            pb.GetUserByEmailRequest(email="x" * 300),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "BatchGetUsers",
            pb.BatchGetUsersRequest(user_ids=["nope"]),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "BatchGetUsers",
            pb.BatchGetUsersRequest(user_ids=[str(uuid.uuid4()) for _ in range(501)]),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "CreatePasswordLink",
            pb.CreatePasswordLinkRequest(
                user_id=str(uuid.uuid4()), purpose=pb.PASSWORD_LINK_PURPOSE_SET
            ),
            grpc.StatusCode.NOT_FOUND,
        ),
        (
            "CreatePasswordLink",
            pb.CreatePasswordLinkRequest(user_id=str(uuid.uuid4())),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "BatchCreatePasswordLinks",
            pb.BatchCreatePasswordLinksRequest(
                requests=[
                    pb.CreatePasswordLinkRequest(
                        user_id=str(uuid.uuid4()), purpose=pb.PASSWORD_LINK_PURPOSE_SET
                    ),
                    pb.CreatePasswordLinkRequest(
                        user_id="nope", purpose=pb.PASSWORD_LINK_PURPOSE_SET
                    ),
                ]
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "BatchCreatePasswordLinks",
            pb.BatchCreatePasswordLinksRequest(
                requests=[
                    pb.CreatePasswordLinkRequest(
                        user_id=str(uuid.uuid4()), purpose=pb.PASSWORD_LINK_PURPOSE_SET
                    )
                ]
                * 501
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ],
)
def test_grpc_bad_requests_get_precise_codes(
    users: tuple[pb_grpc.UserServiceStub, list[tuple[str, str]]],
    method: str,
    request_message: object,
    expected: grpc.StatusCode,
) -> None:
    stub, metadata = users
    call = getattr(stub, method)
    assert _code(lambda: call(request_message, timeout=5, metadata=metadata)) == expected
