"""The needs domain."""
