"""OpenID Connect provider (single sign-on for relying services) and eID sign-in.

Standards: OpenID Connect Core 1.0, Discovery 1.0, RP-Initiated Logout 1.0, Back-Channel Logout
1.0; OAuth 2.0 (RFC 6749) with PKCE (RFC 7636), the security BCP (RFC 9700), token revocation
(RFC 7009) and the `iss` authorization response parameter (RFC 9207). See docs in `README.md`
beside this file.
"""
