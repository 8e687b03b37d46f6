// The configured basemap (hazmap/basemap.py, in the session): raster tiles drawn beneath hazmap's own
// layers, above the offline background, which shows wherever the basemap is off or its tiles fail.
//
// A GCJ-02 basemap (AMap, Tencent) would put every street a few hundred metres away from our WGS 84
// data. Its tiles go through the protocol below instead: for each Web Mercator tile MapLibre asks for,
// it fetches the GCJ-02 tiles covering where that tile's ground lies in GCJ-02 and draws them into
// one tile so that each pixel shows what lies at its WGS 84 position. The offset is taken as affine
// over the tile (its value at the centre, its gradient from the edges' midpoints): the error left is
// at most 0.002 px at zoom 18, 0.01 px at 16 and 0.05 px at 14 (tests/web/test_gcj02.py); the value at
// the centre alone would be up to 1 px off at the corners. Outside China's box (gcj02.ts) tiles are
// used as they come.

import * as maplibregl from "maplibre-gl";
import type { LayerSpecification, RasterSourceSpecification, RequestParameters } from "maplibre-gl";
import { gcj02Unbounded, outOfChina } from "./gcj02";

export interface Basemap {
  /** Bottom first: Tianditu's map, then its labels; one layer for a URL template. */
  layers: Array<{ name: string; tiles: string[]; minzoom: number; maxzoom: number }>;
  coords: "wgs84" | "gcj02";
  attribution: string;
}

/** The map layers of the basemap, one per configured layer (at most two). */
export const BASEMAP_LAYERS = ["basemap-0", "basemap-1"];
const PROTOCOL = "hazmap-gcj02";
const TILE = 256; // px: the basemap's tiles, as MapLibre's raster source asks for them

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The raster sources and layers of ``basemap``, to be drawn in this order beneath hazmap's layers. */
export function basemapStyle(basemap: Basemap): { sources: Record<string, RasterSourceSpecification>; layers: LayerSpecification[] } {
  const sources: Record<string, RasterSourceSpecification> = {};
  const layers: LayerSpecification[] = [];
  basemap.layers.slice(0, BASEMAP_LAYERS.length).forEach((layer, index) => {
    const id = BASEMAP_LAYERS[index];
    sources[id] = {
      type: "raster",
      tiles: basemap.coords === "gcj02" ? [`${PROTOCOL}://${index}/{z}/{x}/{y}`] : layer.tiles,
      tileSize: TILE,
      minzoom: layer.minzoom,
      maxzoom: layer.maxzoom,
      ...(index === 0 && basemap.attribution ? { attribution: escapeHtml(basemap.attribution) } : {}),
    };
    layers.push({ id, type: "raster", source: id });
  });
  return { sources, layers };
}

/** Global pixel position at zoom ``z`` (256-px tiles) of WGS 84 (lon, lat) on the Web Mercator grid. */
export function toPixel(lon: number, lat: number, z: number): [number, number] {
  const size = TILE * 2 ** z;
  const phi = (lat * Math.PI) / 180;
  return [((lon + 180) / 360) * size, ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * size];
}

/** WGS 84 (lon, lat) of the global pixel position (x, y) at zoom ``z``. */
export function toLngLat(x: number, y: number, z: number): [number, number] {
  const size = TILE * 2 ** z;
  return [(x / size) * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / size))) * 180) / Math.PI];
}

/** Where, in global pixels at zoom ``z`` of the GCJ-02 tiles, the ground at WGS 84 pixel (x, y) is drawn. */
function gcj02Pixel(x: number, y: number, z: number): [number, number] {
  const [lon, lat] = toLngLat(x, y, z);
  const [glon, glat] = gcj02Unbounded(lon, lat);
  return toPixel(glon, glat, z);
}

async function fetchImage(url: string, signal: AbortSignal): Promise<ImageBitmap> {
  const response = await fetch(url, { signal });
  if (!response.ok) throw new maplibregl.AJAXError(response.status, response.statusText, url, await response.blob());
  return createImageBitmap(await response.blob());
}

/**
 * The WGS 84 tile ``hazmap-gcj02://{layer}/{z}/{x}/{y}`` drawn from the GCJ-02 tiles of ``basemap``.
 *
 * With p a pixel of this tile and c its centre (global pixels), the GCJ-02 pixel showing p's ground is
 * q = c′ + M·(p − c), c′ the centre's GCJ-02 pixel and M the offset map's Jacobian; the GCJ-02 tiles
 * covering the corners' q are put side by side and drawn into the tile through the inverse of that map.
 * A tile that fails fails the whole tile (MapLibre then leaves the offline background there).
 */
async function gcj02Tile(basemap: Basemap, params: RequestParameters, abort: AbortController): Promise<{ data: ImageBitmap }> {
  const [layer, z, x, y] = params.url.slice(`${PROTOCOL}://`.length).split("/").map(Number);
  const templates = basemap.layers[layer].tiles;
  const url = (tx: number, ty: number) =>
    templates[(tx + ty) % templates.length].replace("{z}", String(z)).replace("{x}", String(tx)).replace("{y}", String(ty));
  const half = TILE / 2;
  const [cx, cy] = [x * TILE + half, y * TILE + half];
  if (outOfChina(...toLngLat(cx, cy, z))) return { data: await fetchImage(url(x, y), abort.signal) };

  const centre = gcj02Pixel(cx, cy, z);
  const [east, west, south, north] = [
    gcj02Pixel(cx + half, cy, z),
    gcj02Pixel(cx - half, cy, z),
    gcj02Pixel(cx, cy + half, z),
    gcj02Pixel(cx, cy - half, z),
  ];
  // M = [[a, b], [c, d]]: q − c′ = (a·u + b·v, c·u + d·v) for p − c = (u, v)
  const [a, b, c, d] = [(east[0] - west[0]) / TILE, (south[0] - north[0]) / TILE, (east[1] - west[1]) / TILE, (south[1] - north[1]) / TILE];
  const corners = [-half, half].flatMap((u) => [-half, half].map((v) => [centre[0] + a * u + b * v, centre[1] + c * u + d * v]));
  const count = 2 ** z;
  const columns = corners.map(([qx]) => Math.floor(qx / TILE));
  const rows = corners.map(([, qy]) => Math.floor(qy / TILE));
  const [x0, x1] = [Math.min(...columns), Math.max(...columns)];
  const [y0, y1] = [Math.max(0, Math.min(...rows)), Math.min(count - 1, Math.max(...rows))];
  const wanted: Array<[number, number]> = [];
  for (let ty = y0; ty <= y1; ty++) for (let tx = x0; tx <= x1; tx++) wanted.push([tx, ty]);
  const images = await Promise.all(wanted.map(([tx, ty]) => fetchImage(url(((tx % count) + count) % count, ty), abort.signal)));

  // The GCJ-02 tiles side by side at whole pixels (no seams), then drawn once through the inverse map.
  const scale = images[0].width / TILE; // 512-px tiles make a 512-px tile
  const mosaic = new OffscreenCanvas((x1 - x0 + 1) * TILE * scale, (y1 - y0 + 1) * TILE * scale);
  const pieces = mosaic.getContext("2d")!;
  wanted.forEach(([tx, ty], i) => pieces.drawImage(images[i], (tx - x0) * TILE * scale, (ty - y0) * TILE * scale, TILE * scale, TILE * scale));
  images.forEach((image) => image.close());
  const canvas = new OffscreenCanvas(TILE * scale, TILE * scale);
  const context = canvas.getContext("2d")!;
  const det = a * d - b * c;
  // canvas pixel = scale·(half + p − c) with p − c = M⁻¹·(q − c′)
  context.setTransform((scale * d) / det, (scale * -c) / det, (scale * -b) / det, (scale * a) / det, scale * half, scale * half);
  context.drawImage(mosaic, x0 * TILE - centre[0], y0 * TILE - centre[1], (x1 - x0 + 1) * TILE, (y1 - y0 + 1) * TILE);
  return { data: await createImageBitmap(canvas) };
}

let registered = false;

/** Make ``basemap``'s GCJ-02 tiles reach MapLibre in WGS 84 (once per page). */
export function registerGcj02(basemap: Basemap): void {
  if (registered || basemap.coords !== "gcj02") return;
  registered = true;
  maplibregl.addProtocol(PROTOCOL, (params, abort) => gcj02Tile(basemap, params, abort));
}
