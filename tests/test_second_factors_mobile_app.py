"""The mobile authenticator app against the running system, with the reference app in
tools/authenticator playing the phone: enrolment by QR code, PIN push with number matching,
offline QR one-time passwords, lock after five wrong PINs, expiry and replays — through the JSON
API and through the web pages (including the endpoints the waiting pages poll)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from gatehouse_authenticator import Authenticator, DeviceStore, PayloadError, ServerError
from gatehouse_authenticator.app import (
    b64url,
    generate_key,
    pin_proof,
    public_key_bytes,
    push_message,
    registration_message,
    sign,
)
from gatehouse_authenticator.camera import png_from_data_uri, read_qr
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    Account,
    answer_second_factor,
    bearer,
    identity_client,
    outbox_events,
    password_session,
    signed_in_account,
    start_challenge,
)
from tests.oidc_helpers import Browser, form_to

pytestmark = pytest.mark.stack
PIN = "4711"


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


@pytest.fixture
def phone() -> Iterator[Authenticator]:
    with httpx.Client(timeout=30) as http:
        yield Authenticator(DeviceStore(), http=http)


def enrol_phone(client: httpx.Client, token: str, phone: Authenticator) -> dict[str, str]:
    started = client.post(
        "/api/v1/me/mobile-devices",
        json={"name": "Anna's phone", "pin": PIN, "pin_confirmation": PIN},
        headers=bearer(token),
    )
    assert started.status_code == 201, started.text
    body = started.json()
    # The app reads the QR code image as rendered (its "camera"), not the text beside it.
    assert read_qr(png_from_data_uri(body["qr_image"])) == body["qr_payload"]
    status = client.get(f"/api/v1/me/mobile-devices/{body['factor_id']}", headers=bearer(token))
    assert status.json()["status"] == "pending"
    phone.enrol(body["qr_payload"], pin=PIN)
    done = client.get(f"/api/v1/me/mobile-devices/{body['factor_id']}", headers=bearer(token))
    assert done.json()["status"] == "active"
    assert len(done.json()["recovery_codes"]) == 10  # the first enrolment: shown once
    again = client.get(f"/api/v1/me/mobile-devices/{body['factor_id']}", headers=bearer(token))
    assert again.json()["recovery_codes"] is None
    result: dict[str, str] = body
    return result


def enrolled_account(client: httpx.Client, mailbox: MailboxClient, phone: Authenticator) -> Account:
    account, token = signed_in_account(client, mailbox)
    enrol_phone(client, token, phone)
    return account


def test_only_the_enrolling_session_is_shown_the_first_recovery_codes(
    client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account, token = signed_in_account(client, mailbox)
    # Someone else who knows the password, with a session of their own.
    other = password_session(client, account)["session_token"]
    started = client.post(
        "/api/v1/me/mobile-devices",
        json={"name": "Phone", "pin": PIN, "pin_confirmation": PIN},
        headers=bearer(token),
    ).json()
    phone.enrol(started["qr_payload"], pin=PIN)
    path = f"/api/v1/me/mobile-devices/{started['factor_id']}"
    assert client.get(path, headers=bearer(other)).json()["recovery_codes"] is None
    assert len(client.get(path, headers=bearer(token)).json()["recovery_codes"]) == 10


def test_a_flood_of_push_requests_is_refused(
    client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    token = password_session(client, account)["session_token"]
    statuses = [start_challenge(client, token, "mobile_app_push").status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]
    # Each new request replaced the previous one: the phone shows one, not five.
    assert len(phone.pending_requests()) == 1


def test_push_approved_with_pin_and_matching_number(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    session = password_session(client, account)
    assert session["second_factor_required"] is True
    assert session["available_methods"][:2] == ["mobile_app_push", "mobile_app_qr"]
    token = session["session_token"]

    push = start_challenge(client, token, "mobile_app_push")
    assert push.status_code == 201, push.text
    number = push.json()["number"]
    assert 10 <= number <= 99
    poll = f"/api/v1/sessions/current/second-factor/challenges/{push.json()['challenge_id']}"
    assert client.get(poll, headers=bearer(token)).json()["status"] == "pending"
    not_yet = answer_second_factor(
        client, token, method="mobile_app_push", challenge_id=push.json()["challenge_id"]
    )
    assert not_yet.status_code == 409

    (request,) = phone.pending_requests()
    assert request.origin_ip == "127.0.0.1"
    assert "Gatehouse" in request.describe()
    assert phone.approve(request, pin=PIN, number=str(number)) == "approved"
    assert client.get(poll, headers=bearer(token)).json()["status"] == "approved"

    # A replayed approval (the same signed message again) is refused.
    with pytest.raises(ServerError) as replay:
        phone.approve(request, pin=PIN, number=str(number))
    assert replay.value.status == 409

    stepped = answer_second_factor(
        client, token, method="mobile_app_push", challenge_id=push.json()["challenge_id"]
    )
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["level"] == "multi_factor"
    assert stepped.json()["amr"] == ["pwd", "swk", "pin", "mfa"]
    # The approval raised one session once.
    new_token = stepped.json()["session_token"]
    reuse = answer_second_factor(
        client, new_token, method="mobile_app_push", challenge_id=push.json()["challenge_id"]
    )
    assert reuse.status_code == 404  # bound to the old session, which no longer exists
    assert phone.pending_requests() == []


def test_wrong_number_is_refused_and_cancels_the_request(
    client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    token = password_session(client, account)["session_token"]
    push = start_challenge(client, token, "mobile_app_push").json()
    wrong_number = str(10 + (push["number"] - 10 + 1) % 90)
    (request,) = phone.pending_requests()
    with pytest.raises(ServerError) as refused:
        phone.approve(request, pin=PIN, number=wrong_number)
    assert refused.value.status == 401
    assert refused.value.body["detail"][0]["loc"] == ["body", "number"]
    # Cancelled: the right number cannot be tried afterwards.
    with pytest.raises(ServerError) as late:
        phone.approve(request, pin=PIN, number=str(push["number"]))
    assert late.value.status == 409
    poll = f"/api/v1/sessions/current/second-factor/challenges/{push['challenge_id']}"
    assert client.get(poll, headers=bearer(token)).json()["status"] == "rejected"
    assert (
        answer_second_factor(
            client, token, method="mobile_app_push", challenge_id=push["challenge_id"]
        ).status_code
        == 401
    )


def test_five_wrong_pins_lock_the_device(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    token = password_session(client, account)["session_token"]
    push = start_challenge(client, token, "mobile_app_push").json()
    (request,) = phone.pending_requests()
    for attempt in range(1, 6):
        with pytest.raises(ServerError) as wrong:
            phone.approve(request, pin="0000", number=str(push["number"]))
        if attempt < 5:
            assert wrong.value.status == 401
            assert wrong.value.body["attempts_left"] == 5 - attempt
        else:
            assert wrong.value.status == 423
    # Locked: the right PIN no longer helps, the device cannot even list requests...
    with pytest.raises(ServerError) as locked:
        phone.approve(request, pin=PIN, number=str(push["number"]))
    assert locked.value.status == 423
    # ...and the app is no longer offered; the user must enrol it again.
    again = password_session(client, account)
    assert again["enrolment_required"] is True
    user_id = again["user"]["user_id"]
    assert outbox_events(stack, event_type="identity.device.locked", user_id=user_id)
    listed = client.get("/api/v1/me/second-factors", headers=bearer(again["session_token"]))
    assert [f["status"] for f in listed.json()["factors"]] == ["locked"]


def test_expired_request_is_refused(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    token = password_session(client, account)["session_token"]
    push = start_challenge(client, token, "mobile_app_push").json()
    (request,) = phone.pending_requests()
    # TEST FIXTURE: age the request past its expiry (at most two minutes in production)
    # instead of sleeping through it.
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE id = %s",
            (uuid.UUID(push["challenge_id"]),),
        )
    with pytest.raises(ServerError) as expired:
        phone.approve(request, pin=PIN, number=str(push["number"]))
    assert expired.value.status == 410
    assert phone.pending_requests() == []
    poll = f"/api/v1/sessions/current/second-factor/challenges/{push['challenge_id']}"
    assert client.get(poll, headers=bearer(token)).json()["status"] == "expired"
    late = answer_second_factor(
        client, token, method="mobile_app_push", challenge_id=push["challenge_id"]
    )
    assert late.status_code == 410


def test_denied_request_ends_the_sign_in_attempt(
    client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    token = password_session(client, account)["session_token"]
    push = start_challenge(client, token, "mobile_app_push").json()
    (request,) = phone.pending_requests()
    assert phone.deny(request) == "denied"
    ended = answer_second_factor(
        client, token, method="mobile_app_push", challenge_id=push["challenge_id"]
    )
    assert ended.status_code == 401
    assert ended.json()["code"] == "sign_in_attempt_ended"
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_qr_code_one_time_password_offline_and_single_use(
    client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    token = password_session(client, account)["session_token"]
    challenge = start_challenge(client, token, "mobile_app_qr")
    assert challenge.status_code == 201, challenge.text
    body = challenge.json()
    payload = read_qr(png_from_data_uri(body["qr_image"]))
    assert payload == body["qr_payload"]

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the app went online: {request.url}")

    # The same registration, in an app with no network at all.
    offline = Authenticator(
        phone.store, http=httpx.Client(transport=httpx.MockTransport(no_network))
    )
    password = offline.one_time_password(payload, pin=PIN)
    assert len(password) == 8
    wrong_pin = offline.one_time_password(payload, pin="0000")
    refused = answer_second_factor(
        client, token, method="mobile_app_qr", challenge_id=body["challenge_id"], code=wrong_pin
    )
    assert refused.status_code == 401
    short = answer_second_factor(
        client, token, method="mobile_app_qr", challenge_id=body["challenge_id"], code="1234567"
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "code"]

    stepped = answer_second_factor(
        client, token, method="mobile_app_qr", challenge_id=body["challenge_id"], code=password
    )
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["amr"] == ["pwd", "otp", "pin", "mfa"]
    # Reuse: the same password for the same challenge, from another sign-in attempt.
    other = password_session(client, account)["session_token"]
    reuse = answer_second_factor(
        client, other, method="mobile_app_qr", challenge_id=body["challenge_id"], code=password
    )
    assert reuse.status_code == 404  # the challenge belonged to the finished sign-in


def test_p256_device_keys_work_too(client: httpx.Client, mailbox: MailboxClient) -> None:
    with httpx.Client(timeout=30) as http:
        phone = Authenticator(DeviceStore(), http=http, key_type="p256")
        account = enrolled_account(client, mailbox, phone)
        token = password_session(client, account)["session_token"]
        number = start_challenge(client, token, "mobile_app_push").json()["number"]
        (request,) = phone.pending_requests()
        assert phone.approve(request, pin=PIN, number=str(number)) == "approved"


def test_bad_input_from_the_app_gets_clear_errors(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    for payload in (
        "",
        "https://example.org/enrol?token=x",
        "gatehouse://enrol?v=1&server=ftp://x&token=abcdefghijklmnop&account=a",
        "gatehouse://enrol?v=2&server=https://x&token=abcdefghijklmnop&account=a",
        "gatehouse://enrol?v=1&server=https://x&token=short&account=a",
        "gatehouse://otp?v=1&server=https://x&user=not-a-uuid&challenge=1234567890",
        "gatehouse://otp?v=1&server=https://x&user=" + str(uuid.uuid4()) + "&challenge=12ab",
        "gatehouse://enrol?v=1&v=1&server=https://x&token=abcdefghijklmnop&account=a",
        "x" * 5000,
    ):
        with pytest.raises(PayloadError):
            phone.enrol(payload, pin=PIN)

    _, token = signed_in_account(client, mailbox)
    started = client.post(
        "/api/v1/me/mobile-devices",
        json={"name": "Phone", "pin": PIN, "pin_confirmation": PIN},
        headers=bearer(token),
    ).json()
    enrolment_token = started["qr_payload"].split("token=")[1].split("&")[0]
    key = generate_key("ed25519")
    public = public_key_bytes(key)
    message = registration_message(enrolment_token, "ed25519", public)
    good = {
        "enrolment_token": enrolment_token,
        "key_type": "ed25519",
        "public_key": b64url(public),
        "pin_proof": pin_proof(PIN, message),
        "signature": sign(key, message),
    }

    def register(**changes: str) -> httpx.Response:
        return client.post("/api/v1/mobile-app/registrations", json={**good, **changes})

    def field_of(response: httpx.Response) -> str:
        return str(response.json()["detail"][0]["loc"][-1])

    cases = {
        "key_type": register(key_type="rsa"),
        "public_key": register(public_key=b64url(public + b"\x00")),
        "signature": register(signature=b64url(b"\x00" * 64)),
        "pin_proof": register(pin_proof="*not base64*"),
        "enrolment_token": register(enrolment_token="x" * 200),
    }
    for field, response in cases.items():
        assert 400 <= response.status_code < 500, (field, response.text)
        assert field_of(response) == field, response.text
    # A P-256 key declared as Ed25519 (wrong key type for the bytes) is named too.
    p256 = public_key_bytes(generate_key("p256"))
    wrong_type = register(public_key=b64url(p256))
    assert wrong_type.status_code == 422
    assert field_of(wrong_type) == "public_key"
    # A signature by another key, or over another message, is refused.
    other = generate_key("ed25519")
    assert field_of(register(signature=sign(other, message))) == "signature"
    assert field_of(register(signature=sign(key, b"another challenge"))) == "signature"
    unknown = register(enrolment_token="A" * 32)
    assert unknown.status_code == 404
    assert field_of(unknown) == "enrolment_token"
    assert register().status_code == 201

    # Device endpoints without (or with a wrong) device token.
    assert client.get("/api/v1/mobile-app/requests").status_code == 401
    assert client.get("/api/v1/mobile-app/requests", headers=bearer("nope")).status_code == 401
    answer = client.post(
        f"/api/v1/mobile-app/requests/{uuid.uuid4()}/answer",
        json={"decision": "approve", "number": "12", "pin_proof": "AA", "signature": "AA"},
        headers=bearer("nope"),
    )
    assert answer.status_code == 401


def test_signature_over_another_request_is_refused(
    client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    first = password_session(client, account)["session_token"]
    second = password_session(client, account)["session_token"]
    one = start_challenge(client, first, "mobile_app_push").json()
    start_challenge(client, second, "mobile_app_push")
    requests = {r.request_id: r for r in phone.pending_requests()}
    target = requests.pop(uuid.UUID(one["challenge_id"]))
    (elsewhere,) = requests.values()
    device = target.device
    # Signed and PIN-proved for the other request's challenge, sent for this one.
    message = push_message(elsewhere.request_id, elsewhere.challenge, "approve", str(one["number"]))
    from gatehouse_authenticator.app import load_private_key  # noqa: PLC0415

    response = client.post(
        f"/api/v1/mobile-app/requests/{target.request_id}/answer",
        json={
            "decision": "approve",
            "number": str(one["number"]),
            "pin_proof": pin_proof(PIN, message),
            "signature": sign(load_private_key(device), message),
        },
        headers=bearer(device.device_token),
    )
    assert response.status_code == 401
    assert response.json()["detail"][0]["loc"] == ["body", "signature"]


# --- the web pages ------------------------------------------------------------------------


def attribute(page: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', page)
    assert match, f"no {name} in:\n{page[:3000]}"
    return html.unescape(match.group(1))


def web_sign_in(stack: Stack, browser: Browser, account: Account, next_url: str) -> httpx.Response:
    """Open /login?next=..., post the password form; returns the page it lands on."""
    base = stack.identity_url
    page = browser.get(f"{base}/login?next={next_url}")
    form = form_to(page.text, "/login")
    form.fields |= {"email": account.email, "password": account.password}
    response = browser.post(f"{base}/login", data=form.fields)
    assert response.status_code == 303, response.text
    return response


def test_web_enrolment_and_sign_in_with_push_and_qr(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    base = stack.identity_url
    account, _ = signed_in_account(client, mailbox)
    browser = Browser()
    landed = web_sign_in(stack, browser, account, "/account/security")
    assert landed.headers["location"] == "/account/security"  # no second factor yet

    form_page = browser.get(f"{base}/account/security/mobile-devices/new")
    assert form_page.status_code == 200
    form = form_to(form_page.text, "/account/security/mobile-devices/new")
    mismatch = browser.post(
        f"{base}/account/security/mobile-devices/new",
        data=form.fields | {"name": "Pixel", "pin": PIN, "pin_confirmation": "1234"},
    )
    assert mismatch.status_code == 422
    assert "not the same" in mismatch.text
    qr_page = browser.post(
        f"{base}/account/security/mobile-devices/new",
        data=form.fields | {"name": "Pixel", "pin": PIN, "pin_confirmation": PIN},
    )
    assert qr_page.status_code == 200, qr_page.text
    poll_url = attribute(qr_page.text, "data-poll-url")
    complete_url = attribute(qr_page.text, "data-next")
    assert browser.get(f"{base}{poll_url}").json() == {"status": "pending"}
    payload = read_qr(png_from_data_uri(attribute(qr_page.text, 'class="qr" src')))
    phone.enrol(payload, pin=PIN)
    # What the page's script sees next, and where it then goes by itself.
    assert browser.get(f"{base}{poll_url}").json() == {"status": "active"}
    complete = browser.get(f"{base}{complete_url}")
    assert complete.status_code == 200
    assert len(re.findall(r"<li><code>[0-9A-Z]{5}-[0-9A-Z]{5}</code></li>", complete.text)) == 10

    # Signing in again: password, then the app with PIN push.
    browser = Browser()
    landed = web_sign_in(stack, browser, account, "/account/security")
    choose_url = landed.headers["location"]
    assert choose_url.startswith("/login/second-factor?")
    choose = browser.get(f"{base}{choose_url}")
    assert "/login/second-factor/mobile_app_push?" in choose.text
    push_page = browser.get(f"{base}/login/second-factor/mobile_app_push?next=/account/security")
    assert push_page.status_code == 200
    number = re.search(r'<strong id="push-number">(\d+)</strong>', push_page.text)
    assert number
    push_poll = attribute(push_page.text, "data-poll-url")
    assert browser.get(f"{base}{push_poll}").json() == {"status": "pending"}
    (request,) = phone.pending_requests()
    phone.approve(request, pin=PIN, number=number.group(1))
    assert browser.get(f"{base}{push_poll}").json() == {"status": "approved"}
    # The script submits the page's form by itself once approved.
    completion = form_to(push_page.text, "/login/second-factor/mobile_app_push")
    done = browser.post(f"{base}{completion.action}", data=completion.fields)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/account/security"
    security = browser.get(f"{base}/account/security")
    assert security.status_code == 200
    assert "Pixel" in security.text

    # And with the QR code, in a third browser.
    browser = Browser()
    web_sign_in(stack, browser, account, "/account")
    qr_login = browser.get(f"{base}/login/second-factor/mobile_app_qr?next=/account")
    assert qr_login.status_code == 200
    challenge = read_qr(png_from_data_uri(attribute(qr_login.text, 'class="qr" src')))
    code_form = form_to(qr_login.text, "/login/second-factor/mobile_app_qr")
    wrong = browser.post(f"{base}{code_form.action}", data=code_form.fields | {"code": "123"})
    assert wrong.status_code == 422
    assert "8 digits" in wrong.text
    password = phone.one_time_password(challenge, pin=PIN)
    signed = browser.post(f"{base}{code_form.action}", data=code_form.fields | {"code": password})
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/account"


def test_devices_are_listed_renamed_and_removed(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, phone: Authenticator
) -> None:
    account = enrolled_account(client, mailbox, phone)
    session = password_session(client, account)
    push = start_challenge(client, session["session_token"], "mobile_app_push").json()
    (request,) = phone.pending_requests()
    phone.approve(request, pin=PIN, number=str(push["number"]))
    token = answer_second_factor(
        client,
        session["session_token"],
        method="mobile_app_push",
        challenge_id=push["challenge_id"],
    ).json()["session_token"]
    (device,) = client.get("/api/v1/me/second-factors", headers=bearer(token)).json()["factors"]
    assert device["method"] == "mobile_app"
    assert device["name"] == "Anna's phone"
    renamed = client.patch(
        f"/api/v1/me/second-factors/{device['factor_id']}",
        json={"name": "Old phone"},
        headers=bearer(token),
    )
    assert renamed.json()["name"] == "Old phone"
    removed = client.delete(
        f"/api/v1/me/second-factors/{device['factor_id']}", headers=bearer(token)
    )
    assert removed.status_code == 204  # a second factor was proved just now: fresh enough
    user_id = session["user"]["user_id"]
    assert outbox_events(stack, event_type="identity.second_factor.removed", user_id=user_id)
    assert client.get("/api/v1/me/second-factors", headers=bearer(token)).json()["factors"] == []
    with pytest.raises(ServerError) as gone:
        phone.pending_requests()
    assert gone.value.status == 401
