"""The shortest walk between two points of a site around its obstacles (plain shapely and SciPy, no Django).

``Ground(obstacles)`` takes polygons in a local metric frame (m), already grown by the clearance a
walker keeps, merges them, and joins every pair of their corners that see each other (the segment
between them does not cross an obstacle's interior): a visibility graph. ``route(a, b)`` adds a and b
to it and returns the shortest polyline between them (Dijkstra, ``scipy.sparse.csgraph``). Among
polygonal obstacles the shortest path runs straight from corner to corner, so the visibility graph
holds it (T. Lozano-Pérez and M. A. Wesley, "An algorithm for planning collision-free paths among
polyhedral obstacles", Communications of the ACM 22(10), 1979).

A walker that starts (or ends) inside an obstacle first leaves it by the nearest way out; two points
no way joins get the straight line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

Point = tuple[float, float]

TOUCH_M = 0.05  # a segment may run along an obstacle's edge or touch its corner, not cut into it by more


class Ground:
    """A site's obstacles and the visibility graph over their corners; ``route`` finds ways around them."""

    def __init__(self, obstacles: Sequence[shapely.Geometry]) -> None:
        merged = shapely.union_all(list(obstacles)) if obstacles else shapely.Polygon()
        self.blocked = merged
        self._interior = merged.buffer(-TOUCH_M, join_style="mitre")
        shapely.prepare(self._interior)
        polygons = [g for g in getattr(merged, "geoms", [merged]) if isinstance(g, shapely.Polygon) and not g.is_empty]
        corners = [c for p in polygons for c in p.exterior.coords[:-1]]
        self.corners = np.array(corners, dtype=float).reshape(-1, 2)
        n = len(self.corners)
        self._graph = np.full((n, n), np.inf)
        if n:
            i, j = np.triu_indices(n, 1)
            lengths = np.hypot(*(self.corners[j] - self.corners[i]).T)
            open_ = self._clear(self.corners[i], self.corners[j])
            self._graph[i[open_], j[open_]] = lengths[open_]
            self._graph[j[open_], i[open_]] = lengths[open_]

    def _clear(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Which segments a[k]–b[k] cross no obstacle's interior."""
        if self._interior.is_empty or not len(a):
            return np.ones(len(a), bool)
        lines = shapely.linestrings(np.stack([a, b], axis=1))
        return ~shapely.intersects(self._interior, lines)

    def _way_out(self, p: Point) -> Point | None:
        """The nearest point just outside the obstacle that holds ``p``; None when none does."""
        if self._interior.is_empty or not shapely.intersects_xy(self._interior, *p):
            return None
        edge = self.blocked.boundary
        near = edge.interpolate(edge.project(shapely.Point(p)))
        dx, dy = near.x - p[0], near.y - p[1]
        d = math.hypot(dx, dy) or 1.0
        return (near.x + dx / d * 2 * TOUCH_M, near.y + dy / d * 2 * TOUCH_M)

    def route(self, a: Point, b: Point) -> list[Point]:
        """The shortest polyline from ``a`` to ``b`` around the obstacles (both ends included)."""
        a, b = (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))
        out_a, out_b = self._way_out(a), self._way_out(b)
        path = self._route(out_a or a, out_b or b)
        if out_a is not None:
            path.insert(0, a)
        if out_b is not None:
            path.append(b)
        return path

    def _route(self, a: Point, b: Point) -> list[Point]:
        ends = np.array([a, b], dtype=float)
        if self._clear(ends[:1], ends[1:])[0] or not len(self.corners):
            return [a, b]
        n = len(self.corners)
        graph = np.full((n + 2, n + 2), np.inf)
        graph[:n, :n] = self._graph
        for k, end in enumerate(ends):
            sees = self._clear(np.repeat(end[None, :], n, axis=0), self.corners)
            lengths = np.hypot(*(self.corners - end).T)
            graph[n + k, :n] = np.where(sees, lengths, np.inf)
            graph[:n, n + k] = graph[n + k, :n]
        distances, previous = dijkstra(
            csgraph_from_dense(graph, null_value=np.inf), indices=n, return_predecessors=True
        )
        if not np.isfinite(distances[n + 1]):
            return [a, b]
        path, node = [], n + 1
        while node != n:
            path.append(node)
            node = previous[node]
        nodes = np.vstack([self.corners, ends])
        return [a, *((float(nodes[k, 0]), float(nodes[k, 1])) for k in reversed(path[1:])), b]


def length(path: Sequence[Point]) -> float:
    """The length of a polyline (m)."""
    xy = np.asarray(path, dtype=float)
    return float(np.hypot(*np.diff(xy, axis=0).T).sum()) if len(xy) > 1 else 0.0
