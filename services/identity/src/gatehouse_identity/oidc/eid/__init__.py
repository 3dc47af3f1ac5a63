"""Sign in with eID: identity as a client of upstream OpenID Connect brokers."""
