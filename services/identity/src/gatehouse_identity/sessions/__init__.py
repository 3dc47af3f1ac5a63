"""Signed-in sessions: starting, resuming, raising and ending them, and the user's own list."""
