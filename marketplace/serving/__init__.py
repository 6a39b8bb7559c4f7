"""Serving the application: worker processes, one log format, request ids."""
