"""The matches domain."""
