"""Distances between grids, in kilometres (haversine on the WGS 84 mean radius)."""

import numpy as np

from matching.records import GridPoint

EARTH_RADIUS_KM = 6371.0088


class GridDistances:
    """All pairwise grid distances, computed once; lookups by grid id are array indexing."""

    def __init__(self, grids: list[GridPoint]) -> None:
        self.index = {grid.id: position for position, grid in enumerate(grids)}
        lat = np.radians([grid.latitude for grid in grids])
        lon = np.radians([grid.longitude for grid in grids])
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        self.km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))

    def positions(self, grid_ids: list[int] | np.ndarray) -> np.ndarray:
        return np.fromiter((self.index[grid_id] for grid_id in grid_ids), dtype=np.int64, count=len(grid_ids))

    def from_grid(self, grid_id: int, positions: np.ndarray) -> np.ndarray:
        """Distances from one grid to the grids at ``positions`` (a vector)."""
        return self.km[self.index[grid_id], positions]
