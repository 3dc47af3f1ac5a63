"""The mobile authenticator app ("EU Login App"): enrolment by QR code, PIN push with number
matching, and offline one-time passwords from a QR challenge.

PIN design — the app proves knowledge of the PIN each time; the PIN itself never travels after
the user types it (twice) on the enrolment page:
- identity keeps `pin_verifier = SHA-256(PIN)` encrypted at rest (it is OCRA's P input);
- a push approval carries `pin_proof = HMAC-SHA256(pin_verifier, signed message)`, so a proof is
  bound to one request and worthless for any other; a wrong proof counts as a wrong PIN;
- an offline one-time password is OCRA(device key, challenge, pin_verifier): a wrong PIN gives a
  wrong password, which also counts against the device.
Five wrong PINs in a row lock the device (identity.device.locked); the user enrols it again.
A four-digit PIN has only 10,000 values, so no hash would protect a stolen verifier; encryption
at rest and the lock do. The device key pair (Ed25519 or P-256) proves possession of the phone:
every registration, approval and denial is signed.

The package, by feature: `wire.py` (the app's wire format: encodings, signed messages, QR
payloads), `devices.py` (registered devices, PIN counting and the lock), `enrolment.py`
(adding a device), `push.py` (PIN push with number matching), `offline.py` (QR challenge,
offline one-time password), `ocra.py` (RFC 6287). Each is a second-factor method
(mfa/methods.py): `enrolment.ENROLMENT`, `push.SIGN_IN`, `offline.SIGN_IN`.

Messages signed by the device (UTF-8, lines joined by "\\n"):
  registration: gatehouse-register-v1, enrolment token, key type, public key (base64url)
  push answer:  gatehouse-push-v1, request id, challenge (base64url), decision, number
"""
