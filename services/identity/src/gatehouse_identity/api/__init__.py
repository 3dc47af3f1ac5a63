"""The JSON API (`/api/v1`, OpenAPI at /docs): one module per capability, each route parsing its
input, calling one service function and shaping the answer; domain errors become 4xx answers in
`errors.py`."""
