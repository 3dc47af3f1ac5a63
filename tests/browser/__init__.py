"""Browser tests: the manual, screen by screen, in Chromium (see conftest.py)."""
