"""The sign-in pages a browser goes through: *Log in* (to identity and back), log out (of the
registry and of identity), and *Personal information*. The steps themselves are
gatehouse_registry.auth.sign_in; these pages read and set the cookies and translate its errors.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gatehouse_common.web_security import CSRF_FIELD, csrf_ok
from gatehouse_registry.auth import sign_in
from gatehouse_registry.auth.errors import (
    SecondFactorRequiredError,
    SignInError,
    SignInUnavailableError,
)
from gatehouse_registry.auth.runtime import AuthRuntime, auth_runtime
from gatehouse_registry.web.rendering import PageIn, PageRoute, render, see_other, translator

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Ties a log in to the browser that started it (against login CSRF).
LOGIN_COOKIE = "__Host-registry_login"
# The status of a sign-in that did not succeed: start again (400) unless it says otherwise.
PROBLEM_STATUS: dict[type[SignInError], int] = {
    SignInUnavailableError: 503,
    SecondFactorRequiredError: 403,
}


def _problem(request: Request, error: SignInError) -> HTMLResponse:
    t = translator(request)
    status = next((code for kind, code in PROBLEM_STATUS.items() if isinstance(error, kind)), 400)
    title = "sign_in.unavailable.title" if status == 503 else "sign_in.failed.title"
    return render(
        request,
        "sign_in_problem.html",
        {"title": t(title), "message": t.error(error)},
        viewer=None,
        status_code=status,
    )


def _set_cookie(response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


@router.get("/auth/login")
async def login(request: Request, next: str = "/") -> Response:  # noqa: A002
    runtime = auth_runtime(request)
    try:
        started = await sign_in.start_login(
            runtime, browser_binding=request.cookies.get(LOGIN_COOKIE), return_to=next
        )
    except SignInError as error:
        return _problem(request, error)
    response = see_other(started.url)
    _set_cookie(
        response,
        LOGIN_COOKIE,
        started.browser_binding,
        max_age=runtime.settings.login_state_ttl_s,
    )
    return response


@router.get("/auth/callback")
async def callback(request: Request) -> Response:
    """Identity sends the browser back here."""
    runtime = auth_runtime(request)
    query = request.query_params
    cookie_name = runtime.settings.session_cookie_name
    try:
        finished = await sign_in.finish_login(
            runtime,
            state=query.get("state", ""),
            browser_binding=request.cookies.get(LOGIN_COOKIE, ""),
            issuer=query.get("iss"),
            code=query.get("code"),
            error=query.get("error"),
            previous_session=request.cookies.get(cookie_name, ""),
        )
    except SignInError as error:
        return _problem(request, error)
    response = see_other(finished.return_to)
    _set_cookie(
        response,
        cookie_name,
        finished.session_token,
        max_age=runtime.settings.session_absolute_timeout_s,
    )
    return response


async def _same_site_form(request: Request, runtime: AuthRuntime) -> bool:
    """Whether a log out POST comes from the registry's own pages (not a CSRF): the form's
    `csrf_token` (gatehouse_common.web_security), or failing that the browser's own word
    (Sec-Fetch-Site, or an Origin naming the registry; pages send `Origin: null` under
    Referrer-Policy no-referrer, which proves nothing)."""
    form = await request.form(max_fields=10, max_files=0)
    submitted = form.get(CSRF_FIELD)
    if csrf_ok(request, submitted if isinstance(submitted, str) else None):
        return True
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    own = urlsplit(runtime.settings.public_url)
    return request.headers.get("origin", "").rstrip("/") == f"{own.scheme}://{own.netloc}"


@router.post("/auth/logout")
async def logout(request: Request) -> Response:
    """The form that logs out: `<form method="post" action="/auth/logout">` with a hidden
    `csrf_token` field (gatehouse_common.web_security.csrf_token_for)."""
    runtime = auth_runtime(request)
    if not await _same_site_form(request, runtime):
        return JSONResponse(
            {"detail": "log out refused: not from a registry page"}, status_code=403
        )
    cookie_name = runtime.settings.session_cookie_name
    identity_logout = await sign_in.log_out(
        runtime, session_token=request.cookies.get(cookie_name, "")
    )
    response: Response = see_other(runtime.post_logout_redirect_uri)
    if identity_logout is not None:
        # A page that moves on by itself, not a redirect: browsers apply the log out form's
        # CSP form-action ('self') to redirects, and identity is another site.
        response = render(request, "sign_out.html", {"url": identity_logout}, viewer=None)
        response.headers["Refresh"] = f"0;url={identity_logout}"
    response.delete_cookie(cookie_name, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.get("/auth/profile")
async def personal_information(page: PageIn) -> HTMLResponse:
    """Personal information as identity last told the registry (refreshed at each sign-in)."""
    return page.render("personal_information.html")
