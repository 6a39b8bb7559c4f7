"""The offers domain."""
