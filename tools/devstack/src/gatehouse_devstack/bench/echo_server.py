"""A bare grpcio server for introspect_grpc's yardstick: what grpcio alone does on one core.

`python -m gatehouse_devstack.bench.echo_server --port N --answer HEX` serves
`gatehouse.identity.v1.TokenService/IntrospectToken` with the same grpcio, the same asyncio
server and the same message options as identity's server, and answers every call with the
given bytes (identity's own answer to one of the benchmark's tokens, so the messages are the
same size both ways). No interceptors, no service-token check, no database: the difference
between its rate and identity's is what identity adds to gRPC. Prints `ready` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import grpc
from grpc import aio

from gatehouse.identity.v1 import token_service_pb2 as pb
from gatehouse_common.grpc_server import MAX_MESSAGE_BYTES

METHOD = "IntrospectToken"
SERVICE = pb.DESCRIPTOR.services_by_name["TokenService"].full_name


async def serve(port: int, answer: bytes) -> None:
    response = pb.IntrospectTokenResponse.FromString(answer)

    async def introspect(_request: Any, _context: aio.ServicerContext) -> Any:
        return response

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            METHOD: grpc.unary_unary_rpc_method_handler(
                introspect,
                request_deserializer=pb.IntrospectTokenRequest.FromString,
                response_serializer=pb.IntrospectTokenResponse.SerializeToString,
            )
        },
    )
    server = aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
    )
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answer", required=True, help="the serialized answer, hexadecimal")
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, bytes.fromhex(arguments.answer)))


if __name__ == "__main__":
    main()
