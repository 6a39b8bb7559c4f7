"""Deterministic demo and benchmark data for the marketplace: the Hudao Street scenario and synthetic streets.

``seeds.hudao.seed_hudao`` and ``seeds.synthetic.seed_synthetic`` fill an empty, migrated database;
the same seed and ``today`` give the same rows.
"""

from seeds.loading import SeedReport, database_is_empty, empty_database

__all__ = ["SeedReport", "database_is_empty", "empty_database"]
