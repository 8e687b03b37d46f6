"""Finding people gathered within one disc of a given radius, wherever they stand (plain NumPy and shapely).

The 2023 MEM guide on crowd-risk warning (基于人员定位系统的人员聚集风险监测预警建设应用指南（试行）)
defines a gathering as people within a radius of no more than 15 m for more than 1 minute; this module
answers the spatial half of it: which people can be covered by one disc of that radius.

The largest set of points one disc of radius r covers has, on its boundary or inside, a disc whose
edge passes through two of the points or is centred on one of them (a disc that covers a set can be
moved until two of its points lie on its edge, or one point is its centre). So the candidate centres
are every point and, for each pair closer than 2r, the two centres of the circles of radius r through
both; a neighbour search in an STRtree finds the pairs and each candidate's members. Groups are taken
greedily, largest first, each person in one group at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

# Points on a candidate circle lie at exactly r from its centre; rounding must not drop them.
TOLERANCE_M = 1e-6


@dataclass(frozen=True)
class Group:
    """People covered by one disc: their indices in the input, and where they stand on average (m)."""

    members: np.ndarray
    x: float
    y: float


def candidate_centres(x: np.ndarray, y: np.ndarray, i: np.ndarray, j: np.ndarray, radius_m: float):
    """Every point, and the two centres of the circles of radius ``radius_m`` through each pair (i, j)."""
    dx, dy = x[j] - x[i], y[j] - y[i]
    d = np.hypot(dx, dy)
    mx, my = (x[i] + x[j]) / 2, (y[i] + y[j]) / 2
    h = np.sqrt(np.maximum(radius_m**2 - (d / 2) ** 2, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        px, py = np.where(d > 0, -dy / d, 0.0), np.where(d > 0, dx / d, 0.0)
    cx = np.concatenate([x, mx + h * px, mx - h * px])
    cy = np.concatenate([y, my + h * py, my - h * py])
    return cx, cy


def find_groups(x: np.ndarray, y: np.ndarray, radius_m: float, min_size: int) -> list[Group]:
    """Disjoint groups of at least ``min_size`` points, each within one disc of ``radius_m`` metres; largest first."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if n == 0 or n < min_size or min_size < 1:
        return []
    points = shapely.points(x, y)
    tree = shapely.STRtree(points)
    i, j = tree.query(points, predicate="dwithin", distance=2 * radius_m + TOLERANCE_M)
    pair = i < j
    cx, cy = candidate_centres(x, y, i[pair], j[pair], radius_m)
    centre, member = tree.query(shapely.points(cx, cy), predicate="dwithin", distance=radius_m + TOLERANCE_M)
    taken = np.zeros(n, bool)
    groups = []
    while True:
        free = ~taken[member]
        counts = np.bincount(centre[free], minlength=len(cx))
        best = int(np.argmax(counts))
        if counts[best] < min_size:
            return groups
        members = member[free & (centre == best)]
        taken[members] = True
        groups.append(Group(np.sort(members), float(x[members].mean()), float(y[members].mean())))
