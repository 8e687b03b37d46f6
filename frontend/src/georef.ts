// Georeferencing a site plan (配准): click a place on the plan's image, then the same place on the map (or
// type its coordinates in any CRS the server knows); from three points on (six for the second order) the
// server fits the transform and answers each point's residual, and the map shows the plan where the fit
// puts it. Writing the plan's COG is then one button, with its progress; the written plan is an overlay.

import type { GeoJSONSource, ImageSource, Map as MapLibreMap, MapMouseEvent } from "maplibre-gl";
import { getJSON, postJSON, sendJSON } from "./api";
import { h, replace } from "./dom";
import { num, onLangChange, t, type Key } from "./i18n";
import { metres, type ControlPoint, type Plan, PLANS_BELOW, type PlanOverlays } from "./plans";

/** The residual report of ``PUT /app/plans/{id}/control-points`` (plant_plans/georef.py ``Fit.report``). */
export interface Report {
  transform: "affine" | "poly2";
  crs: string;
  points: Array<ControlPoint & { number: number; residual_m: number; residual_px: number }>;
  rms_m: number;
  rms_px: number;
  redundancy: number;
  pixel_size_m: number;
  corners_lonlat: [number, number][];
}

const FEWEST = { affine: 3, poly2: 6 };
const PREVIEW = "plan-preview";
const POINTS = "plan-points";
const POLL_MS = 1000;
const ZOOMS = [1, 2, 4, 8];
/** Coordinates typed in: the CRS codes offered (any other EPSG code may be typed). */
const CRS_CHOICES = ["EPSG:4326", "GCJ02", "BD09", "EPSG:4490", "GRID"];

export class GeorefPanel {
  readonly element = h("section", { class: "georef", hidden: true, "aria-label": t("georef.title") });
  plan: Plan | null = null;
  private points: ControlPoint[] = [];
  private pending: { col: number; row: number } | null = null;
  private crs = "EPSG:4326";
  private transform: "affine" | "poly2" = "affine";
  private report: Report | null = null;
  private message: { text: string; error: boolean } | null = null;
  private zoom = 1;
  private writing = false;
  private fitting = 0; // the last PUT sent: older answers are dropped
  // one image element per opened plan, kept across renders: a new one would be blank until it loads again
  private image: HTMLImageElement | null = null;

  constructor(
    readonly map: MapLibreMap,
    readonly overlays: PlanOverlays,
  ) {
    onLangChange(() => this.render());
  }

  /** Whether a map click belongs to the georeferencing (a point is being placed). */
  get active(): boolean {
    return this.plan !== null;
  }

  open(plan: Plan): void {
    this.plan = plan;
    this.points = plan.control_points.points.map((p) => ({ ...p }));
    this.crs = plan.control_points.crs ?? "EPSG:4326";
    this.transform = plan.control_points.transform ?? "affine";
    this.pending = null;
    this.report = null;
    this.message = null;
    this.zoom = 1;
    this.image = this.planImage(plan);
    this.element.hidden = false;
    this.render();
    // the map's centre moves to the part the panel leaves free, where the points are clicked
    this.map.setPadding({ top: 0, bottom: 0, left: 0, right: this.element.offsetWidth + 24 });
    this.drawPoints();
    if (this.points.length >= FEWEST[this.transform]) void this.fit();
  }

  close(): void {
    this.plan = null;
    this.image = null;
    this.element.hidden = true;
    this.map.setPadding({ top: 0, bottom: 0, left: 0, right: 0 });
    this.removePreview();
    this.drawPoints();
  }

  /** A click on the map: the map place of the pending plan pixel (map clicks give WGS 84). */
  mapClick(event: MapMouseEvent): void {
    if (!this.plan) return;
    if (!this.pending) {
      this.say(t("georef.click-plan-first"), true);
      return;
    }
    if (this.crs !== "EPSG:4326") {
      this.say(t("georef.typed-crs"), true);
      return;
    }
    this.addPoint(event.lngLat.lng, event.lngLat.lat);
  }

  private addPoint(x: number, y: number): void {
    if (!this.pending) return;
    this.points.push({ col: round(this.pending.col, 2), row: round(this.pending.row, 2), x, y });
    this.pending = null;
    this.changed();
  }

  private changed(): void {
    this.report = null;
    this.message = null;
    this.render();
    this.drawPoints();
    if (this.points.length >= FEWEST[this.transform]) void this.fit();
    else this.removePreview();
  }

  private say(text: string, error = false): void {
    this.message = { text, error };
    this.render();
  }

  /** Send the points; show the residuals and the plan where the fit puts it. */
  private async fit(): Promise<void> {
    const plan = this.plan!;
    const sent = ++this.fitting;
    try {
      const answer = await sendJSON<{ report: Report }>("PUT", `/app/plans/${plan.id}/control-points`, {
        crs: this.crs,
        transform: this.transform,
        points: this.points,
      });
      if (sent !== this.fitting || this.plan !== plan) return;
      this.report = answer.report;
      this.message = null;
      this.showPreview(plan, answer.report.corners_lonlat);
    } catch (error) {
      if (sent !== this.fitting || this.plan !== plan) return;
      this.report = null;
      this.message = { text: (error as Error).message, error: true };
      this.removePreview();
    }
    this.render();
  }

  private showPreview(plan: Plan, corners: [number, number][]): void {
    const coordinates = corners as [[number, number], [number, number], [number, number], [number, number]];
    const source = this.map.getSource<ImageSource>(PREVIEW);
    if (source) {
      source.setCoordinates(coordinates);
      return;
    }
    this.map.addSource(PREVIEW, { type: "image", url: plan.image, coordinates });
    this.map.addLayer(
      { id: PREVIEW, type: "raster", source: PREVIEW, paint: { "raster-opacity": 0.6, "raster-fade-duration": 0 } },
      this.map.getLayer(PLANS_BELOW) ? PLANS_BELOW : undefined,
    );
  }

  private removePreview(): void {
    if (this.map.getLayer(PREVIEW)) this.map.removeLayer(PREVIEW);
    if (this.map.getSource(PREVIEW)) this.map.removeSource(PREVIEW);
  }

  /** The map places of the points (those given in WGS 84), numbered. */
  private drawPoints(): void {
    const features: GeoJSON.Feature[] =
      this.plan && this.crs === "EPSG:4326"
        ? this.points.map((p, i) => ({
            type: "Feature",
            properties: { number: String(i + 1) },
            geometry: { type: "Point", coordinates: [p.x, p.y] },
          }))
        : [];
    const data: GeoJSON.FeatureCollection = { type: "FeatureCollection", features };
    const source = this.map.getSource<GeoJSONSource>(POINTS);
    if (source) {
      source.setData(data);
      return;
    }
    if (features.length === 0) return;
    this.map.addSource(POINTS, { type: "geojson", data });
    this.map.addLayer({
      id: POINTS,
      type: "circle",
      source: POINTS,
      paint: { "circle-radius": 9, "circle-color": "#d7191c", "circle-stroke-color": "#fff", "circle-stroke-width": 2 },
    });
    this.map.addLayer({
      id: `${POINTS}-number`,
      type: "symbol",
      source: POINTS,
      layout: { "text-field": ["get", "number"], "text-size": 11, "text-allow-overlap": true },
      paint: { "text-color": "#fff" },
    });
  }

  /** Write the COG and follow its stages until the plan is ready (then it is an overlay) or failed. */
  private async write(): Promise<void> {
    const plan = this.plan!;
    this.writing = true;
    this.say(t("georef.writing", { stage: "" }));
    try {
      let current = await postJSON<Plan>(`/app/plans/${plan.id}/cog`, {});
      while (current.status === "writing") {
        if (this.plan === plan) this.say(t("georef.writing", { stage: current.stage ? t(`georef.stage.${current.stage}` as Key) : "" }));
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        current = await getJSON<Plan>(`/app/plans/${plan.id}`);
      }
      if (current.status === "ready") {
        await this.overlays.load();
        if (this.plan === plan) {
          this.removePreview();
          this.plan = current;
          this.say(t("georef.ready"));
        }
      } else if (this.plan === plan) this.say(current.message ?? t("plans.status.failed"), true);
    } catch (error) {
      if (this.plan === plan) this.say((error as Error).message, true);
    } finally {
      this.writing = false;
      if (this.plan === plan || this.plan?.id === plan.id) this.render();
    }
  }

  /** The plan's image; a click on it is the plan pixel of the next point. */
  private planImage(plan: Plan): HTMLImageElement {
    const image = h("img", { src: plan.image, alt: plan.name, draggable: "false" });
    image.addEventListener("click", (event) => {
      // the image's pixel under the click, at the plan's own resolution (the image shown is reduced)
      const col = (event.offsetX / image.clientWidth) * plan.width;
      const row = (event.offsetY / image.clientHeight) * plan.height;
      this.pending = { col, row };
      this.message = null;
      this.render();
    });
    return image;
  }

  private imageArea(plan: Plan): HTMLElement {
    const marks = h("div", { class: "georef-marks" });
    const mark = (col: number, row: number, label: string, kind: string) =>
      h("span", { class: `georef-mark ${kind}`, style: `left:${(col / plan.width) * 100}%;top:${(row / plan.height) * 100}%` }, label);
    replace(
      marks,
      ...this.points.map((p, i) => mark(p.col, p.row, String(i + 1), "placed")),
      this.pending ? mark(this.pending.col, this.pending.row, "+", "pending") : null,
    );
    // the holder keeps the plan's proportions before its image has loaded
    const holder = h(
      "div",
      { class: "georef-holder", style: `width:${this.zoom * 100}%;aspect-ratio:${plan.width}/${plan.height}` },
      this.image,
      marks,
    );
    return h("div", { class: "georef-image" }, holder);
  }

  private typedPoint(): HTMLElement | null {
    if (!this.pending) return null;
    const x = h("input", { type: "number", step: "any", name: "x", "aria-label": "x", placeholder: this.crs === "GRID" ? "A" : "x" });
    const y = h("input", { type: "number", step: "any", name: "y", "aria-label": "y", placeholder: this.crs === "GRID" ? "B" : "y" });
    const form = h(
      "form",
      { class: "georef-typed" },
      h("span", {}, t("georef.pending", { col: num(this.pending.col, 1), row: num(this.pending.row, 1) })),
      x,
      y,
      h("button", { type: "submit" }, t("georef.add")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (x.value === "" || y.value === "") return;
      this.addPoint(Number(x.value), Number(y.value));
    });
    return form;
  }

  private settings(): HTMLElement {
    const crs = h("input", { type: "text", list: "georef-crs", value: this.crs, name: "crs", size: 10 });
    const choices = h("datalist", { id: "georef-crs" }, ...CRS_CHOICES.map((c) => h("option", { value: c }, t(`georef.crs.${c}` as Key))));
    crs.addEventListener("change", () => {
      this.crs = crs.value.trim().toUpperCase() || "EPSG:4326";
      this.changed();
    });
    const transform = h(
      "select",
      { name: "transform" },
      ...(["affine", "poly2"] as const).map((kind) =>
        h("option", { value: kind, selected: kind === this.transform }, t(`georef.transform.${kind}`)),
      ),
    );
    transform.addEventListener("change", () => {
      this.transform = transform.value as "affine" | "poly2";
      this.changed();
    });
    return h(
      "div",
      { class: "georef-settings" },
      h("label", {}, t("georef.crs"), crs, choices),
      h("label", {}, t("georef.transform"), transform),
    );
  }

  private table(): HTMLElement {
    const residual = new Map(this.report?.points.map((p) => [p.number, p]) ?? []);
    const head = h(
      "tr",
      {},
      ...["#", t("georef.pixel"), t("georef.place"), t("georef.residual-m"), t("georef.residual-px"), ""].map((c) => h("th", {}, c)),
    );
    const rows = this.points.map((p, i) => {
      const r = residual.get(i + 1);
      const remove = h("button", { type: "button", class: "link", title: t("georef.remove"), "aria-label": t("georef.remove") }, "✕");
      remove.addEventListener("click", () => {
        this.points.splice(i, 1);
        this.changed();
      });
      return h(
        "tr",
        { "data-point": i + 1 },
        h("td", {}, String(i + 1)),
        h("td", {}, `${num(p.col, 1)}, ${num(p.row, 1)}`),
        h("td", {}, `${num(p.x, 6)}, ${num(p.y, 6)}`),
        h("td", { class: "residual-m" }, r ? metres(r.residual_m) : "—"),
        h("td", { class: "residual-px" }, r ? num(r.residual_px, 2) : "—"),
        h("td", {}, remove),
      );
    });
    return h("table", { class: "georef-points" }, h("thead", {}, head), h("tbody", {}, ...rows));
  }

  render(): void {
    const plan = this.plan;
    if (!plan) return;
    const fewest = FEWEST[this.transform];
    const zoomButtons = ZOOMS.map((z) => {
      const button = h("button", { type: "button", "aria-pressed": String(z === this.zoom) }, `${z}×`);
      button.addEventListener("click", () => {
        this.zoom = z;
        this.render();
      });
      return button;
    });
    const step = this.pending ? t("georef.step.map") : t("georef.step.plan");
    const summary = this.report
      ? h(
          "p",
          { class: "georef-rms" },
          t("georef.rms", {
            m: metres(this.report.rms_m),
            px: num(this.report.rms_px, 2),
            size: metres(this.report.pixel_size_m),
          }),
          this.report.redundancy === 0 ? h("small", {}, " ", t("georef.exact")) : null,
        )
      : this.points.length < fewest
        ? h("p", { class: "muted" }, t("georef.fewest", { n: fewest, have: this.points.length }))
        : null;
    const write = h("button", { type: "button", class: "primary georef-write", disabled: !this.report || this.writing }, t("georef.write"));
    write.addEventListener("click", () => void this.write());
    const close = h("button", { type: "button", class: "close", "aria-label": t("card.close") }, "×");
    close.addEventListener("click", () => this.close());
    replace(
      this.element,
      h("header", {}, h("small", {}, plan.enterprise_name), h("h2", {}, t("georef.title"), " · ", plan.name), close),
      h("p", { class: "georef-step" }, step),
      h("div", { class: "georef-zoom" }, ...zoomButtons),
      this.imageArea(plan),
      this.settings(),
      this.typedPoint(),
      this.points.length ? this.table() : null,
      summary,
      this.message ? h("p", { class: "georef-message", role: this.message.error ? "alert" : "status", "data-error": String(this.message.error) }, this.message.text) : null,
      h("div", { class: "plans-buttons" }, write),
    );
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
