"""The notifications domain."""
