// Site plans (总平面布置图) on the command map: each written plan is a raster overlay under the vector
// layers, shown or hidden and with its own opacity (remembered in this browser); the layers panel lists
// them, uploads a new one and opens the georeferencing panel (georef.ts) for a plan.

import type { Map as MapLibreMap } from "maplibre-gl";
import { getJSON, items, postForm } from "./api";
import { h, replace } from "./dom";
import { num, onLangChange, t, type Key } from "./i18n";
import { session } from "./session";

/** A plan as ``/app/plans`` answers it (web/plans.py ``describe``). */
export interface Plan {
  id: number;
  enterprise: number;
  enterprise_name: string;
  name: string;
  width: number;
  height: number;
  opacity: number;
  status: "uploaded" | "fitted" | "writing" | "ready" | "failed";
  stage: string;
  message: string | null;
  control_points: { crs: string | null; transform: "affine" | "poly2" | null; points: ControlPoint[] };
  bounds: GeoJSON.Polygon | null;
  tilejson: string | null;
  image: string;
  written_at: string | null;
}

/** A pixel of the plan (from its top-left corner) and the same place in the point set's CRS. */
export interface ControlPoint {
  col: number;
  row: number;
  x: number;
  y: number;
}

/** The plan overlays sit above enterprises and regions, below every other vector layer. */
export const PLANS_BELOW = "sensitive-targets-fill";
const STORAGE_KEY = "hazmap.plan-overlays";

type Remembered = Record<string, { shown: boolean; opacity: number }>;

function remembered(): Remembered {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}") as Remembered;
  } catch {
    return {};
  }
}

export const planLayer = (id: number): string => `plan-${id}`;

/** The plans the user may see and their overlays on ``map``. */
export class PlanOverlays {
  plans: Plan[] = [];
  error: string | null = null;
  private written = new Map<number, string | null>(); // the write time of each overlay on the map
  private listeners: Array<() => void> = [];

  constructor(readonly map: MapLibreMap) {}

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Read the plans again and add the overlay of each written one not on the map yet. */
  async load(): Promise<void> {
    try {
      this.plans = (await getJSON<{ plans: Plan[] }>("/app/plans")).plans;
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    }
    for (const plan of this.plans) if (plan.tilejson) this.add(plan);
    for (const listener of this.listeners) listener();
  }

  private add(plan: Plan): void {
    const id = planLayer(plan.id);
    const kept = remembered()[plan.id] ?? { shown: true, opacity: plan.opacity };
    // a plan written again has new tiles (its TileJSON names them with the write time): read it anew
    if (this.map.getSource(id) && this.written.get(plan.id) !== plan.written_at) {
      this.map.removeLayer(id);
      this.map.removeSource(id);
    }
    if (this.map.getSource(id)) return;
    this.written.set(plan.id, plan.written_at);
    this.map.addSource(id, { type: "raster", url: plan.tilejson!, tileSize: 256 });
    this.map.addLayer(
      {
        id,
        type: "raster",
        source: id,
        layout: { visibility: kept.shown ? "visible" : "none" },
        paint: { "raster-opacity": kept.opacity, "raster-fade-duration": 0 },
      },
      this.map.getLayer(PLANS_BELOW) ? PLANS_BELOW : undefined,
    );
  }

  shown(plan: Plan): boolean {
    return this.map.getLayer(planLayer(plan.id)) !== undefined && this.map.getLayoutProperty(planLayer(plan.id), "visibility") !== "none";
  }

  opacity(plan: Plan): number {
    const layer = planLayer(plan.id);
    return this.map.getLayer(layer) ? Number(this.map.getPaintProperty(layer, "raster-opacity")) : plan.opacity;
  }

  /** Show or hide a plan and set its opacity (0–1); remembered in this browser. */
  set(plan: Plan, shown: boolean, opacity: number): void {
    const layer = planLayer(plan.id);
    if (!this.map.getLayer(layer)) return;
    this.map.setLayoutProperty(layer, "visibility", shown ? "visible" : "none");
    this.map.setPaintProperty(layer, "raster-opacity", opacity);
    const all = remembered();
    all[plan.id] = { shown, opacity };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(all));
  }

  /** Fit the map to a plan's outline. */
  zoomTo(plan: Plan): void {
    if (!plan.bounds) return;
    const ring = plan.bounds.coordinates[0];
    const lons = ring.map((c) => c[0]);
    const lats = ring.map((c) => c[1]);
    this.map.fitBounds([Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)], { padding: 40 });
  }
}

/** The enterprises a plan may be uploaded for: an enterprise account's own, or those in the map's view. */
async function enterprisesInView(map: MapLibreMap): Promise<Array<{ id: number; name: string }>> {
  const own = session().user.enterprise;
  if (own) return [{ id: own.id, name: own.name }];
  const b = map.getBounds();
  const found = await items("enterprises", {
    bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","),
    limit: 200,
    skipGeometry: "true",
    sortby: "name",
  });
  return found.features.map((f) => ({ id: f.id, name: String(f.properties.name ?? f.id) }));
}

/** The enterprise a plan is for, to choose among ``enterprisesInView``; ``status`` says why there is none. */
export function enterpriseChoice(map: MapLibreMap, status: HTMLElement): HTMLSelectElement {
  const enterprise = h("select", { name: "enterprise", required: true });
  enterprisesInView(map)
    .then((list) => {
      replace(enterprise, ...list.map((e) => h("option", { value: e.id }, e.name)));
      if (list.length === 0) status.textContent = t("plans.upload.no-enterprise");
    })
    .catch((error: Error) => (status.textContent = error.message));
  return enterprise;
}

/** The upload form: a file (PNG, JPEG, TIFF or PDF, the page of a PDF), its name and enterprise. */
function uploadForm(map: MapLibreMap, done: (plan: Plan) => void, cancel: () => void): HTMLElement {
  const file = h("input", { type: "file", name: "file", required: true, accept: ".png,.jpg,.jpeg,.tif,.tiff,.pdf" });
  const name = h("input", { type: "text", name: "name", maxlength: 200, placeholder: t("plans.upload.name-hint") });
  const status = h("p", { class: "plans-status", role: "status" });
  const enterprise = enterpriseChoice(map, status);
  const page = h("input", { type: "number", name: "page", min: 1, value: 1 });
  const pageRow = h("label", { hidden: true }, t("plans.upload.page"), page);
  const submit = h("button", { type: "submit", class: "primary" }, t("plans.upload.submit"));
  const form = h(
    "form",
    { class: "plans-upload" },
    h("label", {}, t("plans.upload.file"), file),
    pageRow,
    h("label", {}, t("plans.upload.plan-name"), name),
    h("label", {}, t("plans.upload.enterprise"), enterprise),
    h("div", { class: "plans-buttons" }, submit, h("button", { type: "button", onclick: cancel }, t("plans.cancel"))),
    status,
  );
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    pageRow.hidden = !chosen?.name.toLowerCase().endsWith(".pdf");
    if (chosen && !name.value) name.value = chosen.name.replace(/\.[^.]+$/, "");
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen || !enterprise.value) return;
    const body = new FormData();
    body.append("file", chosen);
    body.append("enterprise", enterprise.value);
    if (name.value.trim()) body.append("name", name.value.trim());
    if (!pageRow.hidden) body.append("page", page.value);
    submit.disabled = true;
    status.removeAttribute("data-error");
    status.textContent = t("plans.upload.sending", { percent: 0 });
    postForm<Plan>("/app/plans", body, (share) => {
      status.textContent = share < 1 ? t("plans.upload.sending", { percent: Math.round(share * 100) }) : t("plans.upload.checking");
    })
      .then(done)
      .catch((error: Error) => {
        status.dataset.error = "true";
        status.textContent = error.message;
      })
      .finally(() => (submit.disabled = false));
  });
  return form;
}

/** The plans entry of the layers panel: each plan with its switch, opacity and actions, the upload, and the
 * import of a vector plan (``importVector`` opens its panel). */
export function plansSection(overlays: PlanOverlays, georeference: (plan: Plan) => void, importVector: () => void): HTMLElement {
  const list = h("ul", { class: "plan-list" });
  const heading = h("span", { class: "layer-name" });
  const add = h("button", { type: "button", class: "link plans-add" });
  const vector = h("button", { type: "button", class: "link plans-import-vector", onclick: importVector });
  const slot = h("div", {});
  const element = h("li", { class: "plans" }, h("div", { class: "plans-head" }, heading, add), list, slot, vector);
  let uploading = false;

  const row = (plan: Plan): HTMLElement => {
    const ready = plan.tilejson !== null && overlays.map.getLayer(planLayer(plan.id)) !== undefined;
    const shown = h("input", { type: "checkbox", checked: ready && overlays.shown(plan), disabled: !ready });
    const opacity = h("input", {
      type: "range",
      min: 0,
      max: 1,
      step: 0.05,
      value: overlays.opacity(plan),
      disabled: !ready,
      "aria-label": t("plans.opacity"),
    });
    const value = h("small", { class: "plan-opacity" }, `${Math.round(overlays.opacity(plan) * 100)}%`);
    const change = () => {
      overlays.set(plan, shown.checked, Number(opacity.value));
      value.textContent = `${Math.round(Number(opacity.value) * 100)}%`;
    };
    shown.addEventListener("change", change);
    opacity.addEventListener("input", change);
    const state = ready ? null : h("small", { class: "plan-state" }, t(`plans.status.${plan.status}` as Key));
    return h(
      "li",
      { "data-plan": plan.id },
      h("label", {}, shown, h("span", {}, plan.name), state),
      h("div", { class: "plan-meta" }, h("small", {}, plan.enterprise_name)),
      ready ? h("div", { class: "plan-opacity-row" }, opacity, value) : null,
      h(
        "div",
        { class: "plan-actions" },
        ready ? h("button", { type: "button", class: "link", onclick: () => overlays.zoomTo(plan) }, t("plans.zoom")) : null,
        h("button", { type: "button", class: "link plan-georef", onclick: () => georeference(plan) }, t("plans.georeference")),
      ),
    );
  };

  const render = () => {
    heading.textContent = t("plans.title");
    add.textContent = t("plans.upload");
    add.hidden = uploading;
    vector.textContent = t("plans.import-vector");
    if (overlays.error) replace(list, h("li", { class: "muted" }, overlays.error));
    else if (overlays.plans.length === 0) replace(list, h("li", { class: "muted" }, t("plans.none")));
    else replace(list, ...overlays.plans.map(row));
  };
  add.addEventListener("click", () => {
    uploading = true;
    const close = () => {
      uploading = false;
      replace(slot);
      render();
    };
    replace(
      slot,
      uploadForm(
        overlays.map,
        (plan) => {
          close();
          void overlays.load();
          georeference(plan);
        },
        close,
      ),
    );
    render();
  });
  overlays.onChange(render);
  onLangChange(render);
  render();
  return element;
}

/** A length in metres as the residual tables show it. */
export function metres(value: number): string {
  return `${num(value, value < 1 ? 3 : 2)} m`;
}
