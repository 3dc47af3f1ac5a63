"""gatehouse.identity.v1.UserService: translates wire types, calls accounts.service, and turns
domain errors into gRPC status codes (their kind decides: gatehouse_common.errors)."""

from __future__ import annotations

from datetime import timedelta

import grpc
from grpc import aio

from gatehouse.identity.v1 import user_service_pb2 as pb
from gatehouse.identity.v1 import user_service_pb2_grpc as pb_grpc
from gatehouse_common.errors import grpc_status
from gatehouse_common.grpc_server import parse_uuid_field
from gatehouse_common.grpc_server import start_grpc_server as start_server
from gatehouse_common.timestamps import timestamp
from gatehouse_identity.accounts import service
from gatehouse_identity.accounts.links import LinkRequest
from gatehouse_identity.accounts.models import PasswordLinkPurpose, User, UserStatus
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.errors import IdentityError
from gatehouse_identity.oidc.grpc_clients import SERVICE_NAME as CLIENT_SERVICE_NAME
from gatehouse_identity.oidc.grpc_clients import client_service_registration
from gatehouse_identity.oidc.grpc_tokens import SERVICE_NAME as TOKEN_SERVICE_NAME
from gatehouse_identity.oidc.grpc_tokens import token_service_registration
from gatehouse_identity.sign_in import notices
from gatehouse_identity.sign_in.notices import ReportLinkRequest

MAX_BATCH = 500
STATUS_TO_WIRE = {
    UserStatus.PENDING_PASSWORD: pb.USER_STATUS_PENDING_PASSWORD,
    UserStatus.ACTIVE: pb.USER_STATUS_ACTIVE,
    UserStatus.BLOCKED: pb.USER_STATUS_BLOCKED,
}
REPORT = pb.PASSWORD_LINK_PURPOSE_SIGN_IN_REPORT
PURPOSE_FROM_WIRE = {
    pb.PASSWORD_LINK_PURPOSE_SET: PasswordLinkPurpose.SET,
    pb.PASSWORD_LINK_PURPOSE_RESET: PasswordLinkPurpose.RESET,
}


def user_to_wire(user: User) -> pb.User:
    return pb.User(
        user_id=str(user.id),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        email_language=user.email_language,
        status=STATUS_TO_WIRE[user.status],
        create_time=timestamp(user.created_at),
    )


class UserServicer(pb_grpc.UserServiceServicer):
    def __init__(self, context: IdentityContext) -> None:
        self._context = context

    async def GetUser(  # noqa: N802  (gRPC method name)
        self, request: pb.GetUserRequest, context: aio.ServicerContext
    ) -> pb.GetUserResponse:
        user_id = await parse_uuid_field(request.user_id, "user_id", context)
        try:
            user = await service.get_user(self._context.database, user_id=user_id)
        except IdentityError as error:
            await context.abort(grpc_status(error), error.message)
            raise
        return pb.GetUserResponse(user=user_to_wire(user))

    async def BatchGetUsers(  # noqa: N802
        self, request: pb.BatchGetUsersRequest, context: aio.ServicerContext
    ) -> pb.BatchGetUsersResponse:
        if len(request.user_ids) > MAX_BATCH:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"user_ids: at most {MAX_BATCH} per call"
            )
        ids = [await parse_uuid_field(value, "user_ids", context) for value in request.user_ids]
        users = await service.get_users(self._context.database, user_ids=ids)
        found = {user.id for user in users}
        return pb.BatchGetUsersResponse(
            users=[user_to_wire(user) for user in users],
            missing_user_ids=[str(user_id) for user_id in ids if user_id not in found],
        )

    async def GetUserByEmail(  # noqa: N802
        self, request: pb.GetUserByEmailRequest, context: aio.ServicerContext
    ) -> pb.GetUserByEmailResponse:
        if not request.email or len(request.email) > 254 or "@" not in request.email:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "email: not an e-mail address")
        try:
            user = await service.get_user_by_email(self._context.database, email=request.email)
        except IdentityError as error:
            await context.abort(grpc_status(error), error.message)
            raise
        return pb.GetUserByEmailResponse(user=user_to_wire(user))

    async def CreatePasswordLink(  # noqa: N802
        self, request: pb.CreatePasswordLinkRequest, context: aio.ServicerContext
    ) -> pb.CreatePasswordLinkResponse:
        if request.purpose == REPORT:
            (link,) = await self._report_links([request], context)
            if link is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, "event_id: no such open notice")
                raise AssertionError  # unreachable: abort raises
            return pb.CreatePasswordLinkResponse(url=link.url, expire_time=link.expire_time)
        wanted = await self._link_request(request, "", context)
        try:
            token, expires_at = await service.create_password_link(
                self._context.database,
                user_id=wanted.user_id,
                purpose=wanted.purpose,
                ttl=wanted.ttl,
                event_id=wanted.event_id,
            )
        except IdentityError as error:
            await context.abort(grpc_status(error), error.message)
            raise
        return pb.CreatePasswordLinkResponse(
            url=self._link_url(token), expire_time=timestamp(expires_at)
        )

    async def BatchCreatePasswordLinks(  # noqa: N802
        self, request: pb.BatchCreatePasswordLinksRequest, context: aio.ServicerContext
    ) -> pb.BatchCreatePasswordLinksResponse:
        if len(request.requests) > MAX_BATCH:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"requests: at most {MAX_BATCH} per call"
            )
        wanted = [
            await self._link_request(item, f"requests[{index}].", context)
            for index, item in enumerate(request.requests)
            if item.purpose != REPORT
        ]
        issued = (
            await service.create_password_links(self._context.database, requests=wanted)
            if wanted
            else []
        )
        passwords = iter(
            pb.CreatedPasswordLink(user_not_found=True)
            if link is None
            else pb.CreatedPasswordLink(
                url=self._link_url(link.token), expire_time=timestamp(link.expires_at)
            )
            for link in issued
        )
        reports = iter(
            await self._report_links([r for r in request.requests if r.purpose == REPORT], context)
        )
        return pb.BatchCreatePasswordLinksResponse(
            links=[
                (next(reports) or pb.CreatedPasswordLink(user_not_found=True))
                if item.purpose == REPORT
                else next(passwords)
                for item in request.requests
            ]
        )

    async def _report_links(
        self, requests: list[pb.CreatePasswordLinkRequest], context: aio.ServicerContext
    ) -> list[pb.CreatedPasswordLink | None]:
        """ "This wasn't me" links of new-device notices (their event ids); None where the notice
        is unknown, another user's or already reported."""
        if not requests:
            return []
        wanted = [
            ReportLinkRequest(
                user_id=await parse_uuid_field(item.user_id, "user_id", context),
                event_id=await parse_uuid_field(item.event_id, "event_id", context),
            )
            for item in requests
        ]
        issued = await notices.issue_report_links(self._context.resources.database, wanted)
        base = f"{self._context.settings.public_url}/login/report?token="
        return [
            None
            if link is None
            else pb.CreatedPasswordLink(
                url=base + link.token, expire_time=timestamp(link.expires_at)
            )
            for link in issued
        ]

    async def _link_request(
        self, request: pb.CreatePasswordLinkRequest, field: str, context: aio.ServicerContext
    ) -> LinkRequest:
        """The request on the wire as identity's; INVALID_ARGUMENT naming the field if bad."""
        user_id = await parse_uuid_field(request.user_id, f"{field}user_id", context)
        purpose = PURPOSE_FROM_WIRE.get(request.purpose)
        if purpose is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{field}purpose: SET or RESET")
            raise AssertionError  # unreachable: abort raises
        event_id = (
            await parse_uuid_field(request.event_id, f"{field}event_id", context)
            if request.event_id
            else None
        )
        settings = self._context.settings
        ttl_s = (
            settings.set_password_link_ttl_s
            if purpose is PasswordLinkPurpose.SET
            else settings.reset_password_link_ttl_s
        )
        return LinkRequest(user_id, purpose, timedelta(seconds=ttl_s), event_id)

    def _link_url(self, token: str) -> str:
        return f"{self._context.settings.public_url}/password/set?token={token}"


async def start_grpc_server(context: IdentityContext) -> aio.Server:
    servicer = UserServicer(context)
    settings = context.settings
    return await start_server(
        service="identity",
        host=settings.http_host,
        port=settings.grpc_port,
        registrations=[
            lambda server: pb_grpc.add_UserServiceServicer_to_server(servicer, server),
            token_service_registration(context),
            client_service_registration(context),
        ],
        service_names=[
            pb.DESCRIPTOR.services_by_name["UserService"].full_name,
            TOKEN_SERVICE_NAME,
            CLIENT_SERVICE_NAME,
        ],
        auth_secret=settings.service_auth_secrets,
        tls=settings.grpc_tls,
    )
