"""The dashboard domain."""
