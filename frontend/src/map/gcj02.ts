// GCJ-02, the coordinates AMap and Tencent draw their maps in: WGS 84 plus a non-linear offset of a few
// hundred metres inside China. Only the forward direction (WGS 84 → GCJ-02) is needed to show such a
// basemap under our WGS 84 data (basemap.ts); stored data is never converted.
//
// The formula is the one of the open-source implementations (eviltransform, coord-convert, PRCoords;
// workspace data/coordinates.md §2): polynomials and sines centred on (105°E, 35°N) give the offset in
// metres, turned into degrees on the Krasovsky 1940 ellipsoid. tests/web/test_gcj02.py compares this
// file with PRCoords.

const A = 6378245.0; // Krasovsky 1940 semi-major axis, m
const EE = 0.00669342162296594323; // its first eccentricity squared

/** Whether (lon, lat) in degrees is outside the box GCJ-02 applies in (coord-convert's 72.004–137.8347°E, 0.8293–55.8271°N). */
export function outOfChina(lon: number, lat: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

/** The offset north, in metres, at x = lon − 105°, y = lat − 35°. */
function northM(x: number, y: number): number {
  let m = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  m += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  m += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  m += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y / 30) * Math.PI)) * 2) / 3;
  return m;
}

/** The offset east, in metres, at x = lon − 105°, y = lat − 35°. */
function eastM(x: number, y: number): number {
  let m = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  m += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  m += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  m += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return m;
}

/** GCJ-02 of a WGS 84 (lon, lat) in degrees, by the formula alone (no test of the box: basemap.ts needs it smooth across a tile). */
export function gcj02Unbounded(lon: number, lat: number): [number, number] {
  const x = lon - 105;
  const y = lat - 35;
  const phi = (lat * Math.PI) / 180;
  const w = 1 - EE * Math.sin(phi) ** 2;
  const metresPerDegreeNorth = (A * (1 - EE)) / (w * Math.sqrt(w)) * (Math.PI / 180); // meridian arc
  const metresPerDegreeEast = (A / Math.sqrt(w)) * Math.cos(phi) * (Math.PI / 180); // parallel arc
  return [lon + eastM(x, y) / metresPerDegreeEast, lat + northM(x, y) / metresPerDegreeNorth];
}

/** GCJ-02 of a WGS 84 (lon, lat) in degrees; unchanged outside China's box. */
export function wgs84ToGcj02(lon: number, lat: number): [number, number] {
  return outOfChina(lon, lat) ? [lon, lat] : gcj02Unbounded(lon, lat);
}
