"""*Web services* of an operator (`/operators/<id>/web-services`, issue 19): its administrators
ask for web-service access, create machine clients under approved access (the operator's public
keys as a pasted JWKS, or a secret shown once on the answer page), rotate and revoke them; its
competent authority approves, rejects or revokes the access. One form posts back here with
`action` = `request`, `approve`, `reject`, `revoke_access`, `create_client`, `rotate` or
`revoke_client`; web_services.service checks every rule and its errors are shown beside their
fields."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_registry.auth.identity_grpc import IdentityUnavailableError
from gatehouse_registry.errors import RegistryError, RequiredError
from gatehouse_registry.web.forms import FieldErrors, read_form
from gatehouse_registry.web.rendering import (
    Page,
    PageIn,
    PageRoute,
    csrf_failure,
    field_errors,
    is_form_error,
    parse_uuid,
    see_other,
)
from gatehouse_registry.web_services import service
from gatehouse_registry.web_services.identity import Identity, MachineClientDirectory
from gatehouse_registry.web_services.models import SCOPES, NewAccessRequest

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _here(operator_id: uuid.UUID) -> str:
    return f"/operators/{operator_id}/web-services"


async def _page(
    page: Page,
    operator_id: uuid.UUID,
    form: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    *,
    secret: tuple[str, str] | None = None,
) -> HTMLResponse:
    requests, clients = await service.list_for_operator(
        page.database, actor=page.user, operator_id=operator_id
    )
    names = {role.organization_id: role.organization_name for role in page.viewer.administered}
    administering = operator_id in names
    return page.render(
        "web_services.html",
        {
            "operator_id": operator_id,
            "operator_name": requests[0].operator_name if requests else names.get(operator_id, ""),
            "requests": requests,
            "clients": clients,
            "administering": administering,
            "scopes": SCOPES,
            "form": form or {},
            "errors": errors or {},
            "secret": secret,
        },
        status_code=422 if errors else 200,
        here=_here(operator_id),
    )


@router.get("/operators/{operator_id}/web-services")
async def web_services_page(page: PageIn, operator_id: uuid.UUID) -> HTMLResponse:
    return await _page(page, operator_id)


@router.post("/operators/{operator_id}/web-services")
async def web_services_action(
    request: Request, page: PageIn, operator_id: uuid.UUID, identity: Identity
) -> Response:
    posted = await read_form(request)
    if posted is None:
        return csrf_failure(request)
    form = posted.values()
    try:
        secret = await _act(page, identity, operator_id, form, posted.getlist("scopes"))
    except IdentityUnavailableError:
        return await _page(
            page, operator_id, form, {"form": page.t("web_services.identity_unavailable")}
        )
    except RegistryError as error:
        if not is_form_error(error):
            raise
        return await _page(page, operator_id, form, field_errors(error, page.t))
    if secret is not None:  # shown on this answer only, never in a URL
        return await _page(page, operator_id, secret=secret)
    return see_other(_here(operator_id), done="saved")


async def _act(
    page: Page,
    identity: MachineClientDirectory,
    operator_id: uuid.UUID,
    form: dict[str, str],
    scopes: list[str],
) -> tuple[str, str] | None:
    """Do what the form asks; a client's new secret (client id, secret) when there is one."""
    action = form.get("action", "")
    if action == "request":
        await service.request_access(
            page.database,
            actor=page.user,
            operator_id=operator_id,
            request=NewAccessRequest(
                system_name=form.get("system_name", ""),
                contact_email=form.get("contact_email", ""),
                purpose=form.get("purpose", ""),
            ),
        )
        return None
    if action in ("approve", "reject", "revoke_access", "create_client"):
        return await _on_request(page, identity, action, form, scopes)
    if action in ("rotate", "revoke_client"):
        return await _on_client(page, identity, action, form)
    raise RequiredError(field="action")


async def _on_request(
    page: Page,
    identity: MachineClientDirectory,
    action: str,
    form: dict[str, str],
    scopes: list[str],
) -> tuple[str, str] | None:
    request_id = parse_uuid(form.get("request_id"))
    if request_id is None:
        raise RequiredError(field="request_id")
    if action == "create_client":
        created = await service.create_client(
            page.database,
            actor=page.user,
            request_id=request_id,
            scopes=scopes,
            jwks=form.get("jwks"),
            identity=identity,
        )
        secret = created.client_secret
        return (created.client.client_id, secret) if secret else None
    if action == "revoke_access":
        await service.revoke_access(
            page.database,
            actor=page.user,
            request_id=request_id,
            reason=form.get("reason", ""),
            identity=identity,
        )
        return None
    await service.decide_access(
        page.database,
        actor=page.user,
        request_id=request_id,
        approve=action == "approve",
        reason=form.get("reason"),
    )
    return None


async def _on_client(
    page: Page, identity: MachineClientDirectory, action: str, form: dict[str, str]
) -> tuple[str, str] | None:
    client_id = form.get("client_id", "")[:100]
    if action == "rotate":
        secret = await service.rotate_client(
            page.database,
            actor=page.user,
            client_id=client_id,
            jwks=form.get("jwks"),
            identity=identity,
        )
        return (client_id, secret) if secret else None
    await service.revoke_client(
        page.database,
        actor=page.user,
        client_id=client_id,
        reason=form.get("reason", ""),
        identity=identity,
    )
    return None
