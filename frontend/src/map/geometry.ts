// Small geometry helpers on longitude/latitude (degrees, WGS 84 / CGCS2000): bounds, a representative
// point, great-circle distance (metres) and initial bearing (degrees clockwise from north).

import type { Geometry, Position } from "geojson";

export type LonLat = [number, number];
export type Bounds = [number, number, number, number]; // west, south, east, north

const EARTH_RADIUS_M = 6371008.8; // mean Earth radius (IUGG)

function positions(geometry: Geometry): Position[] {
  switch (geometry.type) {
    case "Point":
      return [geometry.coordinates];
    case "MultiPoint":
    case "LineString":
      return geometry.coordinates;
    case "MultiLineString":
    case "Polygon":
      return geometry.coordinates.flat();
    case "MultiPolygon":
      return geometry.coordinates.flat(2);
    case "GeometryCollection":
      return geometry.geometries.flatMap(positions);
  }
}

/** The bounds of ``geometry``. */
export function bounds(geometry: Geometry): Bounds {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of positions(geometry)) {
    w = Math.min(w, x);
    s = Math.min(s, y);
    e = Math.max(e, x);
    n = Math.max(n, y);
  }
  return [w, s, e, n];
}

/** A point standing for ``geometry``: the point itself, or the centre of its bounds. */
export function anchor(geometry: Geometry): LonLat {
  if (geometry.type === "Point") return [geometry.coordinates[0], geometry.coordinates[1]];
  const [w, s, e, n] = bounds(geometry);
  return [(w + e) / 2, (s + n) / 2];
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance from ``a`` to ``b`` in metres (haversine). */
export function distanceM(a: LonLat, b: LonLat): number {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from ``a`` towards ``b``, degrees clockwise from true north (0–360). */
export function bearingDeg(a: LonLat, b: LonLat): number {
  const [φ1, φ2, Δλ] = [rad(a[1]), rad(b[1]), rad(b[0] - a[0])];
  const y = Math.sin(Δλ) * Math.cos(φ2);
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ);
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

/** The compass point (N, NE, …) of a bearing. */
export function compassPoint(bearing: number): "N" | "NE" | "E" | "SE" | "S" | "SW" | "W" | "NW" {
  const points = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"] as const;
  return points[Math.round(bearing / 45) % 8];
}

/** A box of ``radiusM`` around ``centre`` (for a bbox query). */
export function boxAround(centre: LonLat, radiusM: number): Bounds {
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI);
  const dLon = dLat / Math.cos(rad(centre[1]));
  return [centre[0] - dLon, centre[1] - dLat, centre[0] + dLon, centre[1] + dLat];
}
