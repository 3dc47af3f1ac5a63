"""Web-service access of operators and their machine clients (issue 19, points 1-2).

An operator's administrator asks for web-service access for the operator (the system's name, a
contact e-mail, the purpose); the operator's competent authority approves or rejects it, and may
later revoke it. Under approved access the operator's administrators create machine clients in
identity (over gRPC: a `private_key_jwt` client with the operator's public keys, or a client
secret shown once), rotate their keys and revoke them. A machine client's client_credentials
tokens carry the operator (`operator_id`) and its scopes; the registry's machine API
(machine_api.py) answers them with that operator's data only.

Revocation: the registry refuses a revoked client's tokens at once (every machine call reads the
client's row, in the same transaction as its audit entry); identity removes the client (no new
tokens) when the registry tells it: right after the revocation commits, and, if identity could
not be reached, by the job in sync.py until it has confirmed (at least once, idempotent).
Revoking the access revokes every client made under it.

Modules: models, errors, queries (the SQL), service (what people do), machine (what machines
read), identity (the calls to identity), sync (the retry job), api and machine_api (JSON).
"""
