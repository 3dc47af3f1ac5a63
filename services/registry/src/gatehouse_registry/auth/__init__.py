"""Signing users in through identity (OpenID Connect code flow with PKCE), the registry's own
session cookie, bearer access tokens checked by identity over gRPC, and back-channel logout.

Other registry code imports only `gatehouse_registry.auth.dependencies`.
"""
