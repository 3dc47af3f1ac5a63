"""Every gRPC method of identity, registry and notifier, fed garbage bytes, oversized messages,
random well-formed requests and hostile strings (NUL, lone surrogates, bidi controls, 10,000
characters) in every string field: the answer is always a deliberate status, never UNKNOWN or
INTERNAL, and text no database can store is INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import grpc
import hypothesis
import pytest
from google.protobuf import descriptor as d
from google.protobuf.message import Message
from hypothesis import strategies as st

import gatehouse.identity.v1
import gatehouse.notifier.v1
import gatehouse.registry.v1
from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.stack import Stack
from tests.hostile_input import HOSTILE, UNSTORABLE

pytestmark = pytest.mark.stack

DELIBERATE = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.OUT_OF_RANGE,
}


def _methods(package: Any) -> Iterator[tuple[str, d.MethodDescriptor]]:
    for module_info in pkgutil.iter_modules(package.__path__):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                yield f"/{service.full_name}/{method.name}", method


METHODS = {
    "identity": sorted(_methods(gatehouse.identity.v1), key=lambda item: item[0]),
    "registry": sorted(_methods(gatehouse.registry.v1), key=lambda item: item[0]),
    "notifier": sorted(_methods(gatehouse.notifier.v1), key=lambda item: item[0]),
}
CASES = [(service, path, method) for service, items in METHODS.items() for path, method in items]


def _message_class(descriptor: d.Descriptor) -> type[Message]:
    module = importlib.import_module(
        descriptor.file.name.replace("/", ".").removesuffix(".proto") + "_pb2"
    )
    cls: type[Message] = getattr(module, descriptor.name)
    return cls


SCALARS: dict[int, st.SearchStrategy[Any]] = {
    d.FieldDescriptor.TYPE_STRING: st.one_of(
        st.text(max_size=80),
        st.uuids().map(str),
        st.sampled_from([text for kind, text in HOSTILE.items() if kind != "lone surrogate"]),
    ),
    d.FieldDescriptor.TYPE_BOOL: st.booleans(),
    d.FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    d.FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
    d.FieldDescriptor.TYPE_BYTES: st.binary(max_size=64),
}


def _field_values(field: d.FieldDescriptor) -> st.SearchStrategy[Any] | None:
    if field.type == d.FieldDescriptor.TYPE_ENUM:
        return st.sampled_from([value.number for value in field.enum_type.values] + [999])
    return SCALARS.get(field.type)


def requests_for(descriptor: d.Descriptor) -> st.SearchStrategy[bytes]:
    """Well-formed requests with random scalar fields (nested messages left empty)."""
    message_class = _message_class(descriptor)
    fields = {}
    for field in descriptor.fields:
        values = _field_values(field)
        if values is None:
            continue
        fields[field.name] = st.lists(values, max_size=5) if field.is_repeated else values
    return st.fixed_dictionaries({}, optional=fields).map(
        lambda chosen: message_class(**chosen).SerializeToString()
    )


@pytest.fixture(scope="module")
def channels(stack: Stack) -> Iterator[dict[str, grpc.Channel]]:
    opened = {
        "identity": grpc.insecure_channel(stack.identity_grpc_target),
        "registry": grpc.insecure_channel(stack.registry_grpc_target),
        "notifier": grpc.insecure_channel(stack.notifier_grpc_target),
    }
    yield opened
    for channel in opened.values():
        channel.close()


def _call(
    channel: grpc.Channel, path: str, payload: bytes, metadata: list[tuple[str, str]]
) -> grpc.StatusCode:
    call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    try:
        call(payload, timeout=10, metadata=metadata)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def _auth(stack: Stack) -> list[tuple[str, str]]:
    token = mint_service_token(stack.service_auth_secret.encode(), caller="fuzzer")
    return [("authorization", f"Bearer {token}")]


def test_every_service_has_methods_to_fuzz() -> None:
    assert METHODS["identity"]
    assert METHODS["registry"]
    assert METHODS["notifier"]


@pytest.mark.parametrize(("service", "path", "method"), CASES, ids=[case[1] for case in CASES])
def test_garbage_and_oversized_requests_get_deliberate_codes(
    stack: Stack,
    channels: dict[str, grpc.Channel],
    service: str,
    path: str,
    method: d.MethodDescriptor,
) -> None:
    channel, metadata = channels[service], _auth(stack)
    garbage = [b"\xff\xff\xff\xff", b"\x0a\xff\xff\xff\x0f", b"\x12\x05abc", bytes(range(256))]
    for payload in garbage:
        code = _call(channel, path, payload, metadata)
        assert code in DELIBERATE - {grpc.StatusCode.OK} | {grpc.StatusCode.INVALID_ARGUMENT}, (
            payload,
            code,
        )
    oversized = _call(channel, path, b"\x0a" + b"\xff\xff\x7f" + b"a" * (2 * 1024 * 1024), metadata)
    assert oversized == grpc.StatusCode.RESOURCE_EXHAUSTED
    # Without a service token nothing gets through.
    assert _call(channel, path, b"", []) == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(("service", "path", "method"), CASES, ids=[case[1] for case in CASES])
def test_random_well_formed_requests_get_deliberate_codes(
    stack: Stack,
    channels: dict[str, grpc.Channel],
    service: str,
    path: str,
    method: d.MethodDescriptor,
) -> None:
    channel, metadata = channels[service], _auth(stack)

    @hypothesis.given(payload=requests_for(method.input_type))
    @hypothesis.settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def exercise(payload: bytes) -> None:
        code = _call(channel, path, payload, metadata)
        assert code in DELIBERATE, code

    exercise()


def _varint(value: int) -> bytes:
    encoded = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        encoded.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(encoded)


def _string_field(number: int, text: str) -> bytes:
    """One length-delimited field on the wire, a lone surrogate included as a client could send
    it (protobuf's own encoder refuses to write one)."""
    data = text.encode("utf-8", "surrogatepass")
    return _varint(number << 3 | 2) + _varint(len(data)) + data


@pytest.mark.parametrize(("service", "path", "method"), CASES, ids=[case[1] for case in CASES])
def test_hostile_strings_in_every_string_field_get_deliberate_codes(
    stack: Stack,
    channels: dict[str, grpc.Channel],
    service: str,
    path: str,
    method: d.MethodDescriptor,
) -> None:
    channel, metadata = channels[service], _auth(stack)
    fields = [f for f in method.input_type.fields if f.type == d.FieldDescriptor.TYPE_STRING]
    for field in fields:
        for kind, text in HOSTILE.items():
            code = _call(channel, path, _string_field(field.number, text), metadata)
            assert code in DELIBERATE, (field.name, kind, code)
            if kind in UNSTORABLE:
                assert code == grpc.StatusCode.INVALID_ARGUMENT, (field.name, kind, code)
