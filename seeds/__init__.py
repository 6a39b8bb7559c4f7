"""Deterministic demo and benchmark data for the marketplace."""
