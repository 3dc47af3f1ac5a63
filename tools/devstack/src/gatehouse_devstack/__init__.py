"""Runs the whole Gatehouse system on one machine: `make run` (gatehouse-dev) and `make test`.

- `stack.Stack`: embedded PostgreSQL, NATS JetStream, the mailbox and the three services as
  separate processes; `stack.service_environment` is the services' configuration contract.
- `mailbox` / `mailbox_client`: the SMTP sink and the client tests read it with.
- `postgres`, `nats`: the embedded servers, usable on their own in a service's tests.
"""
