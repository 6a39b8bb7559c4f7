"""The places domain."""
