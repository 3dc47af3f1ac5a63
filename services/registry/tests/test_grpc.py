"""gatehouse.registry.v1 over a real gRPC server: the lookups the notifier uses to find recipients,
with service credentials, NOT_FOUND and INVALID_ARGUMENT."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc import aio

from gatehouse.registry.v1 import operator_service_pb2 as op_pb
from gatehouse.registry.v1 import operator_service_pb2_grpc as op_grpc
from gatehouse.registry.v1 import role_service_pb2 as role_pb
from gatehouse.registry.v1 import role_service_pb2_grpc as role_grpc
from gatehouse_common.db import Database
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.resources import ServiceResources
from gatehouse_common.service_auth import authenticated_channel
from gatehouse_devstack.pytest_plugin import free_port
from gatehouse_registry.access import RoleKind
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.grpc_api import start_grpc_server
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application
from gatehouse_registry.settings import RegistrySettings

from .conftest import SEGOT_ID, SJV_IEK

SECRET = "test-service-auth-secret-0123456789"


@pytest.fixture
async def grpc_target(rolled_back_database: Database) -> AsyncIterator[str]:
    port = free_port()
    settings = RegistrySettings(
        gatehouse_environment="test",
        http_host="127.0.0.1",
        grpc_port=port,
        service_auth_secret=SECRET,
    )
    bus = EventBus(url="nats://127.0.0.1:1", stream="unused", subject_prefix="t", name="t")
    resources = ServiceResources(database=rolled_back_database, bus=bus)
    context = RegistryContext(settings=settings, resources=resources)
    server = await start_grpc_server(context)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


@pytest.fixture
async def channel(grpc_target: str) -> AsyncIterator[aio.Channel]:
    async with authenticated_channel(
        grpc_target, secret=SECRET.encode(), caller="notifier"
    ) as authenticated:
        yield authenticated


async def test_lookups_find_the_right_people(
    db: Any, channel: aio.Channel, make_user: Any, make_admin_of: Any, create_operator: Any
) -> None:
    authority = await make_admin_of(SJV_IEK, "Ingrid Inspektör")
    post = await make_admin_of("SEGOT", "Gösta Gränspost")
    admin = await make_user("Anna Admin")
    created = await create_operator(admin, name="Grpc Frukt AB")
    operator_id = created.operator.id
    operator_stub = op_grpc.OperatorServiceStub(channel)
    role_stub = role_grpc.RoleServiceStub(channel)

    # Before validation: the authority validates; there is no administrator yet.
    found = await operator_stub.GetOperator(op_pb.GetOperatorRequest(operator_id=str(operator_id)))
    assert found.operator.status == op_pb.OPERATOR_STATUS_PENDING
    assert found.operator.competent_authority_name.startswith("Jordbruksverket")
    validators = await operator_stub.ListOperatorValidators(
        op_pb.ListOperatorValidatorsRequest(operator_id=str(operator_id))
    )
    assert list(validators.user_ids) == [str(authority.user_id)]
    deciders = await role_stub.ListRoleRequestDeciders(
        role_pb.ListRoleRequestDecidersRequest(role_request_id=str(created.role_request_id))
    )
    assert list(deciders.user_ids) == [str(authority.user_id)]

    await operator_decisions.validate_operator(db, actor=authority, operator_id=operator_id)
    await decisions.approve_role_request(
        db, actor=authority, role_request_id=created.role_request_id
    )
    admins = await operator_stub.ListOperatorAdministrators(
        op_pb.ListOperatorAdministratorsRequest(operator_id=str(operator_id))
    )
    assert list(admins.user_ids) == [str(admin.user_id)]

    colleague = await make_user("Bertil Kollega")
    request = await roles.request_role(
        db, actor=colleague, organization_id=operator_id, application=Application()
    )
    deciders = await role_stub.ListRoleRequestDeciders(
        role_pb.ListRoleRequestDecidersRequest(role_request_id=str(request.id))
    )
    assert set(deciders.user_ids) == {str(admin.user_id), str(authority.user_id)}

    rfl = await roles.request_role(
        db,
        actor=admin,
        organization_id=operator_id,
        kind=RoleKind.RESPONSIBLE_FOR_LOAD,
        application=Application(),
        responsible_authority_ids=[SEGOT_ID],
    )
    got = await role_stub.GetRoleRequest(role_pb.GetRoleRequestRequest(role_request_id=str(rfl.id)))
    assert got.role_request.kind == role_pb.ROLE_KIND_RESPONSIBLE_FOR_LOAD
    assert list(got.role_request.responsible_authority_ids) == [str(SEGOT_ID)]
    deciders = await role_stub.ListRoleRequestDeciders(
        role_pb.ListRoleRequestDecidersRequest(role_request_id=str(rfl.id))
    )
    # The post's own staff and the authority that runs the post; never the requester.
    assert set(deciders.user_ids) == {str(post.user_id), str(authority.user_id)}

    reactivators = await role_stub.ListReactivationDeciders(
        role_pb.ListReactivationDecidersRequest(user_id=str(admin.user_id))
    )
    assert list(reactivators.user_ids) == [str(authority.user_id)]


async def test_unknown_and_malformed_ids(channel: aio.Channel) -> None:
    operator_stub = op_grpc.OperatorServiceStub(channel)
    role_stub = role_grpc.RoleServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await operator_stub.GetOperator(op_pb.GetOperatorRequest(operator_id=str(uuid.uuid4())))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as malformed:
        await role_stub.GetRoleRequest(role_pb.GetRoleRequestRequest(role_request_id="nope"))
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as unknown_user:
        await role_stub.ListReactivationDeciders(
            role_pb.ListReactivationDecidersRequest(user_id=str(uuid.uuid4()))
        )
    assert unknown_user.value.code() == grpc.StatusCode.NOT_FOUND


async def test_calls_without_a_service_token_are_refused(grpc_target: str) -> None:
    async with aio.insecure_channel(grpc_target) as bare:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await op_grpc.OperatorServiceStub(bare).GetOperator(
                op_pb.GetOperatorRequest(operator_id=str(uuid.uuid4()))
            )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
