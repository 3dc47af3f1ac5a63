"""Second factors and sign-in strength: one module per method, the levels they give, and the
HTTP surfaces (JSON API in `api`, web pages in `pages`)."""
