"""gatehouse.notifier.v1 (MessageService): translates wire types and calls history.py. Service
credentials are checked by gatehouse_common.grpc_server before any method runs."""

from __future__ import annotations

from grpc import aio

from gatehouse.notifier.v1 import message_service_pb2 as pb
from gatehouse.notifier.v1 import message_service_pb2_grpc as pb_grpc
from gatehouse_common.errors import grpc_status
from gatehouse_common.grpc_server import parse_uuid_field
from gatehouse_common.grpc_server import start_grpc_server as start_server
from gatehouse_common.timestamps import optional_timestamp
from gatehouse_notifier import history
from gatehouse_notifier.context import NotifierContext
from gatehouse_notifier.messages import HistoryEntry, Status

STATUS = {
    Status.QUEUED: pb.MESSAGE_STATUS_QUEUED,
    Status.SENDING: pb.MESSAGE_STATUS_QUEUED,
    Status.SENT: pb.MESSAGE_STATUS_SENT,
    Status.FAILED: pb.MESSAGE_STATUS_FAILED,
    Status.ABANDONED: pb.MESSAGE_STATUS_ABANDONED,
}


def _to_wire(entry: HistoryEntry) -> pb.Message:
    return pb.Message(
        message_id=str(entry.id),
        template=entry.template,
        event_type=entry.event_type,
        subject=entry.subject,
        language=entry.language or "",
        status=STATUS[Status(entry.status)],
        create_time=optional_timestamp(entry.created_at),
        send_time=optional_timestamp(entry.sent_at),
    )


class MessageServicer(pb_grpc.MessageServiceServicer):
    def __init__(self, context: NotifierContext) -> None:
        self._context = context

    async def ListUserMessages(  # noqa: N802  (gRPC method name)
        self, request: pb.ListUserMessagesRequest, context: aio.ServicerContext
    ) -> pb.ListUserMessagesResponse:
        user_id = await parse_uuid_field(request.user_id, "user_id", context)
        try:
            page = await history.user_messages(
                self._context.database,
                user_id=user_id,
                page_size=request.page_size,
                page_token=request.page_token,
            )
        except history.InvalidHistoryRequestError as error:
            await context.abort(grpc_status(error), error.message)
            raise
        return pb.ListUserMessagesResponse(
            messages=[_to_wire(entry) for entry in page.messages],
            next_page_token=page.next_page_token,
        )


async def start_grpc_server(context: NotifierContext) -> aio.Server:
    messages = MessageServicer(context)
    settings = context.settings
    return await start_server(
        service="notifier",
        host=settings.http_host,
        port=settings.grpc_port,
        registrations=[
            lambda server: pb_grpc.add_MessageServiceServicer_to_server(messages, server)
        ],
        service_names=[pb.DESCRIPTOR.services_by_name["MessageService"].full_name],
        auth_secret=settings.service_auth_secrets,
        tls=settings.grpc_tls,
    )
