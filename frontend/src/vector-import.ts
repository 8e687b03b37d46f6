// Importing a vector site plan (DXF, zipped Shapefile, GeoPackage, GeoJSON, KML) into an enterprise's
// general layout, in three steps over /app/plans/vector/ (web/plans_vector.py): upload (the server
// describes the file's layers and draws nothing), a mapping of source layers to kinds checked with a dry
// run (counts, rejected features with their reasons, a sample drawn on the map) and the import, which
// can be undone. The imported features are the layer "总平面布置" (layout-features) like any other.

import type { GeoJSONSource, Map as MapLibreMap } from "maplibre-gl";
import { ApiError, getJSON, postForm, postJSON } from "./api";
import { h, replace } from "./dom";
import { enterpriseChoice } from "./plans";
import { num, onLangChange, t, time } from "./i18n";

/** A layer of the uploaded file as the preview describes it (plant_plans.vector ``LayerInfo``). */
interface Layer {
  name: string;
  fields: Record<string, string>;
  geometry_types: Record<string, number>;
  count: number;
  crs: string | null;
  crs_name: string | null;
  bounds_4326: [number, number, number, number] | null;
  values: Record<string, Record<string, number>>;
  sample: GeoJSON.FeatureCollection;
}

interface KindInfo {
  kind: string;
  label: string;
  area: boolean;
  name_required: boolean;
}

/** The answer to an upload: the file's layers and the token to import it with. */
interface Upload {
  token: string;
  enterprise_id: number;
  enterprise_name: string;
  file_name: string;
  format: string;
  size_bytes: number;
  crs: string | null;
  expires_at: string;
  layers: Layer[];
  kinds: KindInfo[];
  import: string;
}

interface Rejected {
  layer: string;
  fid: string | number;
  message: string;
}

/** What a dry run (200) or a refused import (422) says of the mapping. */
interface Check {
  features_read: number;
  features_unmapped: number;
  features_rejected: number;
  features_repaired: number;
  by_kind: Record<string, number>;
  rejected: Rejected[];
  features_imported?: number;
  features_linked?: number;
  unmatched_codes?: string[];
  sample?: GeoJSON.FeatureCollection;
}

/** An import as ``/app/plans/vector/imports`` lists it. */
export interface PlanImport {
  id: number;
  enterprise_name: string;
  file_name: string;
  format: string;
  features_imported: number;
  features_linked: number;
  by_kind: Record<string, number>;
  created_by: string | null;
  created_at: string;
  undone_at: string | null;
}

/** One rule of the mapping as the form holds it: "" is "none". */
interface RuleDraft {
  layer: string;
  whereField: string;
  whereValues: string[];
  kind: string;
  name: string;
  code: string;
}

const PREVIEW = "vector-import-preview";
const ACCEPT = ".dxf,.zip,.gpkg,.geojson,.json,.kml";
const CRS_CHOICES = ["EPSG:4549", "EPSG:4490", "EPSG:4326", "GRID"];
const RECENT = 10; // imports listed in the panel

// a source layer (or DXF layer) name that says what its features are; the first match is the guess
const KIND_WORDS: Array<[RegExp, string]> = [
  [/tank|罐/i, "tank"],
  [/dike|bund|堤|围堰/i, "dike"],
  [/hazard|危险源/i, "hazard_source"],
  [/fence|wall|围墙|围栏/i, "fence"],
  [/road|道路|路/i, "road"],
  [/build|建筑|房|楼/i, "building"],
];
const NAME_FIELDS = ["name", "名称", "Name", "NAME", "EntityHandle"]; // a DXF entity is named by its handle
const CODE_FIELDS = ["code", "编码", "位号", "tag", "Code", "CODE", "TAG"];

function guessKind(text: string): string | null {
  return KIND_WORDS.find(([words]) => words.test(text))?.[1] ?? null;
}

function firstField(fields: Record<string, string>, names: string[]): string {
  return names.find((n) => n in fields) ?? "";
}

/** The rules a file suggests: each DXF layer, or each source layer, whose name says its kind. */
export function suggestedRules(layers: Layer[]): RuleDraft[] {
  const rules: RuleDraft[] = [];
  for (const layer of layers) {
    const name = firstField(layer.fields, NAME_FIELDS);
    const code = firstField(layer.fields, CODE_FIELDS);
    const dxfLayers = layer.values.Layer;
    if (dxfLayers) {
      for (const value of Object.keys(dxfLayers)) {
        const kind = guessKind(value);
        if (kind) rules.push({ layer: layer.name, whereField: "Layer", whereValues: [value], kind, name, code });
      }
      continue;
    }
    const kind = guessKind(layer.name);
    if (kind) rules.push({ layer: layer.name, whereField: "", whereValues: [], kind, name, code });
  }
  if (rules.length === 0 && layers.length > 0) {
    const layer = layers[0];
    rules.push({ layer: layer.name, whereField: "", whereValues: [], kind: "building", name: firstField(layer.fields, NAME_FIELDS), code: "" });
  }
  return rules;
}

/** A value typed for an attribute, as the attribute's type wants it (numbers for int and float fields). */
function typed(value: string, type: string | undefined): string | number {
  return type && /^(int|float)/.test(type) && value.trim() !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
}

function union(boxes: Array<[number, number, number, number]>): [number, number, number, number] | null {
  if (boxes.length === 0) return null;
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3])),
  ];
}

export class VectorImportPanel {
  readonly element = h("section", { class: "vector-import", hidden: true, "aria-label": t("vector.title") });
  upload: Upload | null = null;
  check: Check | null = null; // the last dry run of the mapping as it is now (null once it changes)
  imported: PlanImport | null = null;
  imports: PlanImport[] = [];
  private rules: RuleDraft[] = [];
  private crs = "";
  private skipRejected = false;
  private message: { text: string; error: boolean } | null = null;
  private busy = false;
  private listeners: Array<() => void> = [];

  constructor(readonly map: MapLibreMap) {
    onLangChange(() => this.render());
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** Call ``listener`` when an import is written or undone (the layers panel lists the imports). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  show(): void {
    this.upload = null;
    this.check = null;
    this.imported = null;
    this.message = null;
    this.element.hidden = false;
    this.render();
    void this.loadImports();
  }

  close(): void {
    this.element.hidden = true;
    this.upload = null;
    this.drawPreview(null);
  }

  private say(text: string, error = false): void {
    this.message = { text, error };
    this.render();
  }

  private async loadImports(): Promise<void> {
    try {
      this.imports = (await getJSON<{ imports: PlanImport[] }>(`/app/plans/vector/imports?limit=${RECENT}`)).imports;
    } catch (error) {
      this.say((error as Error).message, true);
      return;
    }
    this.render();
  }

  /** The mapping the form holds, as ``POST …/import`` takes it. */
  mapping(dryRun: boolean): Record<string, unknown> {
    const fields = new Map(this.upload!.layers.map((l) => [l.name, l.fields]));
    const rules = this.rules.map((r) => {
      const rule: Record<string, unknown> = { layer: r.layer, kind: r.kind };
      const values = r.whereValues.filter((v) => v !== "").map((v) => typed(v, fields.get(r.layer)?.[r.whereField]));
      if (r.whereField && values.length) rule.where = { [r.whereField]: values };
      if (r.name) rule.name = r.name;
      if (r.code) rule.code = r.code;
      return rule;
    });
    const out: Record<string, unknown> = { rules, skip_rejected: this.skipRejected, dry_run: dryRun };
    if (this.crs.trim()) out.crs = /^\d+$/.test(this.crs.trim()) ? Number(this.crs.trim()) : this.crs.trim().toUpperCase();
    return out;
  }

  private changed(): void {
    this.check = null;
    this.message = null;
    this.render();
  }

  private async send(form: FormData, status: HTMLElement): Promise<void> {
    this.busy = true;
    try {
      const upload = await postForm<Upload>("/app/plans/vector/uploads", form, (share) => {
        status.textContent = share < 1 ? t("plans.upload.sending", { percent: Math.round(share * 100) }) : t("vector.reading");
      });
      this.upload = upload;
      this.crs = upload.crs ?? "";
      this.rules = suggestedRules(upload.layers);
      this.check = null;
      this.message = null;
      const sample: GeoJSON.Feature[] = upload.layers.filter((l) => l.crs).flatMap((l) => l.sample.features);
      this.drawPreview({ type: "FeatureCollection", features: sample });
      const bounds = union(upload.layers.map((l) => l.bounds_4326).filter((b): b is [number, number, number, number] => b !== null));
      if (bounds) this.map.fitBounds(bounds, { padding: { top: 40, bottom: 40, left: 40, right: this.element.offsetWidth + 40 }, maxZoom: 18 });
    } catch (error) {
      status.dataset.error = "true";
      status.textContent = (error as Error).message;
    } finally {
      this.busy = false;
    }
    if (this.upload) this.render();
  }

  /** The dry run, or the import itself. A refusal with rejected features lists them. */
  private async run(dryRun: boolean): Promise<void> {
    const upload = this.upload!;
    this.busy = true;
    this.say(dryRun ? t("vector.checking") : t("vector.importing"));
    try {
      if (dryRun) {
        this.check = await postJSON<Check>(`/app/plans/vector/uploads/${upload.token}/import`, this.mapping(true));
        this.message = null;
        if (this.check.sample) this.drawPreview(this.check.sample);
      } else {
        const answer = await postJSON<{ import: PlanImport }>(`/app/plans/vector/uploads/${upload.token}/import`, this.mapping(false));
        this.imported = answer.import;
        this.upload = null;
        this.drawPreview(null);
        this.message = { text: t("vector.imported", { n: answer.import.features_imported }), error: false };
        for (const listener of this.listeners) listener();
        void this.loadImports();
      }
    } catch (error) {
      const details = error instanceof ApiError ? (error.details as (Check & { code?: string }) | undefined) : undefined;
      this.check = details?.rejected ? { ...details } : null;
      // the server's words for features rejected speak of the API's "skip_rejected"; the form has its box
      const text =
        details?.code === "FeaturesRejected" ? t("vector.rejected-message", { n: details.features_rejected }) : (error as Error).message;
      this.message = { text, error: true };
    } finally {
      this.busy = false;
    }
    this.render();
  }

  private async undo(plan: PlanImport): Promise<void> {
    if (!window.confirm(t("vector.undo-confirm", { file: plan.file_name, n: plan.features_imported }))) return;
    try {
      const answer = await postJSON<{ deleted: number }>(`/app/plans/vector/imports/${plan.id}/undo`, {});
      this.say(t("vector.undone", { n: answer.deleted }));
      if (this.imported?.id === plan.id) this.imported = null;
      for (const listener of this.listeners) listener();
    } catch (error) {
      this.say((error as Error).message, true);
    }
    await this.loadImports();
  }

  /** The sample features on the map, coloured by kind (null: none). */
  private drawPreview(data: GeoJSON.FeatureCollection | null): void {
    const source = this.map.getSource<GeoJSONSource>(PREVIEW);
    if (!data) {
      if (this.map.getLayer(`${PREVIEW}-line`)) this.map.removeLayer(`${PREVIEW}-line`);
      if (this.map.getLayer(`${PREVIEW}-point`)) this.map.removeLayer(`${PREVIEW}-point`);
      if (source) this.map.removeSource(PREVIEW);
      return;
    }
    if (source) {
      source.setData(data);
      return;
    }
    this.map.addSource(PREVIEW, { type: "geojson", data });
    this.map.addLayer({
      id: `${PREVIEW}-line`,
      type: "line",
      source: PREVIEW,
      paint: { "line-color": "#e6550d", "line-width": 2, "line-dasharray": [2, 1] },
    });
    this.map.addLayer({
      id: `${PREVIEW}-point`,
      type: "circle",
      source: PREVIEW,
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 4, "circle-color": "#e6550d" },
    });
  }

  // --- the panel's parts --------------------------------------------------------------------------

  private uploadForm(): HTMLElement {
    const file = h("input", { type: "file", name: "file", required: true, accept: ACCEPT });
    const status = h("p", { class: "plans-status", role: "status" });
    const enterprise = enterpriseChoice(this.map, status);
    const crs = h("input", { type: "text", name: "crs", list: "vector-crs", placeholder: t("vector.crs-hint"), size: 12 });
    const submit = h("button", { type: "submit", class: "primary" }, t("plans.upload.submit"));
    const form = h(
      "form",
      { class: "plans-upload vector-upload" },
      h("label", {}, t("vector.file"), file),
      h("label", {}, t("plans.upload.enterprise"), enterprise),
      h("label", {}, t("vector.crs"), crs, this.crsChoices()),
      h("div", { class: "plans-buttons" }, submit),
      status,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen || !enterprise.value || this.busy) return;
      const body = new FormData();
      body.append("file", chosen);
      body.append("enterprise", enterprise.value);
      if (crs.value.trim()) body.append("crs", crs.value.trim().toUpperCase());
      submit.disabled = true;
      status.removeAttribute("data-error");
      status.textContent = t("plans.upload.sending", { percent: 0 });
      void this.send(body, status).finally(() => (submit.disabled = false));
    });
    return form;
  }

  private crsChoices(): HTMLElement {
    return h("datalist", { id: "vector-crs" }, ...CRS_CHOICES.map((c) => h("option", { value: c }, t(`vector.crs.${c}` as "vector.crs.GRID"))));
  }

  private layersTable(upload: Upload): HTMLElement {
    const head = h("tr", {}, ...[t("vector.layer"), t("vector.count"), t("vector.geometry")].map((c) => h("th", {}, c)));
    const rows = upload.layers.map((layer) =>
      h(
        "tr",
        { "data-layer": layer.name },
        h("td", {}, layer.name),
        h("td", { class: "num" }, String(layer.count)),
        h(
          "td",
          {},
          Object.entries(layer.geometry_types)
            .map(([type, n]) => `${type} ${n}`)
            .join(", "),
        ),
      ),
    );
    return h("table", { class: "vector-layers" }, h("thead", {}, head), h("tbody", {}, ...rows));
  }

  private select(name: string, value: string, options: Array<[string, string]>, change: (value: string) => void): HTMLSelectElement {
    const select = h("select", { name }, ...options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
    select.addEventListener("change", () => change(select.value));
    return select;
  }

  private ruleRow(upload: Upload, rule: RuleDraft, index: number): HTMLElement {
    const layer = upload.layers.find((l) => l.name === rule.layer) ?? upload.layers[0];
    const fields = Object.keys(layer.fields);
    const none: [string, string] = ["", "—"];
    const attributes = [none, ...fields.map((f): [string, string] => [f, f])];
    const update = (patch: Partial<RuleDraft>) => {
      Object.assign(rule, patch);
      this.changed();
    };
    const known = layer.values[rule.whereField];
    let values: HTMLElement | null = null;
    if (rule.whereField && known) {
      values = h(
        "div",
        { class: "vector-values" },
        ...Object.entries(known).map(([value, count]) => {
          const box = h("input", { type: "checkbox", value, checked: rule.whereValues.includes(value) });
          box.addEventListener("change", () =>
            update({ whereValues: box.checked ? [...rule.whereValues, value] : rule.whereValues.filter((v) => v !== value) }),
          );
          return h("label", {}, box, `${value} (${count})`);
        }),
      );
    } else if (rule.whereField) {
      const text = h("input", { type: "text", name: "values", value: rule.whereValues.join(", "), placeholder: t("vector.values-hint") });
      text.addEventListener("change", () => update({ whereValues: text.value.split(",").map((v) => v.trim()) }));
      values = text;
    }
    const kind = upload.kinds.find((k) => k.kind === rule.kind);
    const remove = h("button", { type: "button", class: "link", "aria-label": t("vector.remove-rule"), title: t("vector.remove-rule") }, "✕");
    remove.addEventListener("click", () => {
      this.rules.splice(index, 1);
      this.changed();
    });
    return h(
      "fieldset",
      { class: "vector-rule", "data-rule": index + 1 },
      h("legend", {}, t("vector.rule", { n: index + 1 }), remove),
      h(
        "label",
        {},
        t("vector.layer"),
        this.select("layer", layer.name, upload.layers.map((l): [string, string] => [l.name, l.name]), (v) =>
          update({ layer: v, whereField: "", whereValues: [] }),
        ),
      ),
      h(
        "label",
        {},
        t("vector.where"),
        this.select("where", rule.whereField, [["", t("vector.all")], ...fields.map((f): [string, string] => [f, f])], (v) =>
          update({ whereField: v, whereValues: [] }),
        ),
      ),
      values,
      h(
        "label",
        {},
        t("vector.kind"),
        this.select("kind", rule.kind, upload.kinds.map((k): [string, string] => [k.kind, k.label]), (v) => update({ kind: v })),
      ),
      h("label", {}, t(kind?.name_required ? "vector.name-required" : "vector.name"), this.select("name", rule.name, attributes, (v) => update({ name: v }))),
      h("label", {}, t("vector.code"), this.select("code", rule.code, attributes, (v) => update({ code: v }))),
    );
  }

  private checkSummary(check: Check, upload: Upload): HTMLElement {
    const label = new Map(upload.kinds.map((k) => [k.kind, k.label]));
    const figures: Array<[string, number | undefined]> = [
      [t("vector.read"), check.features_read],
      [t("vector.unmapped"), check.features_unmapped],
      [t("vector.to-import"), check.features_imported],
      [t("vector.rejected"), check.features_rejected],
      [t("vector.repaired"), check.features_repaired],
      [t("vector.linked"), check.features_linked],
    ];
    return h(
      "div",
      { class: "vector-check" },
      h(
        "dl",
        {},
        ...figures.filter(([, v]) => v !== undefined).flatMap(([name, v]) => [h("dt", {}, name), h("dd", { "data-figure": name }, String(v))]),
      ),
      Object.keys(check.by_kind).length
        ? h(
            "p",
            { class: "vector-by-kind" },
            Object.entries(check.by_kind)
              .map(([kind, n]) => `${label.get(kind) ?? kind} ${n}`)
              .join("，"),
          )
        : null,
      check.unmatched_codes?.length ? h("p", { class: "muted" }, t("vector.unmatched", { codes: check.unmatched_codes.join(", ") })) : null,
      check.rejected.length
        ? h(
            "ul",
            { class: "vector-rejected" },
            ...check.rejected.map((r) => h("li", {}, h("small", {}, `${r.layer} #${r.fid}`), " ", r.message)),
          )
        : null,
    );
  }

  private importsList(): HTMLElement {
    if (this.imports.length === 0) return h("p", { class: "muted" }, t("vector.no-imports"));
    const rows = this.imports.map((plan) => {
      const undo = plan.undone_at
        ? h("small", { class: "muted" }, t("vector.undone-at", { time: time(plan.undone_at, true) }))
        : h("button", { type: "button", class: "link vector-undo", onclick: () => void this.undo(plan) }, t("vector.undo"));
      return h(
        "li",
        { "data-import": plan.id },
        h("span", {}, plan.file_name),
        h("small", {}, `${plan.enterprise_name} · ${time(plan.created_at, true)} · ${t("vector.features", { n: plan.features_imported })}`),
        undo,
      );
    });
    return h("ul", { class: "vector-imports" }, ...rows);
  }

  render(): void {
    if (this.element.hidden) return;
    const upload = this.upload;
    const close = h("button", { type: "button", class: "close", "aria-label": t("card.close") }, "×");
    close.addEventListener("click", () => this.close());
    const message = this.message
      ? h("p", { class: "georef-message", role: this.message.error ? "alert" : "status", "data-error": String(this.message.error) }, this.message.text)
      : null;
    const header = h("header", {}, h("small", {}, upload?.enterprise_name ?? ""), h("h2", {}, t("vector.title")), close);
    if (!upload) {
      replace(this.element, header, this.uploadForm(), message, h("h3", {}, t("vector.recent")), this.importsList());
      return;
    }
    const crs = h("input", { type: "text", name: "crs", list: "vector-crs", value: this.crs, size: 12, placeholder: t("vector.crs-hint") });
    crs.addEventListener("change", () => {
      this.crs = crs.value;
      this.changed();
    });
    const skip = h("input", { type: "checkbox", name: "skip_rejected", checked: this.skipRejected });
    skip.addEventListener("change", () => {
      this.skipRejected = skip.checked;
      this.changed();
    });
    const add = h("button", { type: "button", class: "link vector-add-rule" }, t("vector.add-rule"));
    add.addEventListener("click", () => {
      const layer = upload.layers[0];
      this.rules.push({ layer: layer.name, whereField: "", whereValues: [], kind: "building", name: firstField(layer.fields, NAME_FIELDS), code: "" });
      this.changed();
    });
    const dry = h("button", { type: "button", class: "vector-dry-run", disabled: this.busy || this.rules.length === 0 }, t("vector.dry-run"));
    dry.addEventListener("click", () => void this.run(true));
    const ready = this.check !== null && this.check.features_imported !== undefined && !this.busy;
    const write = h("button", { type: "button", class: "primary vector-import-write", disabled: !ready }, t("vector.import"));
    write.addEventListener("click", () => void this.run(false));
    const cancel = h("button", { type: "button", onclick: () => this.show() }, t("plans.cancel"));
    replace(
      this.element,
      header,
      h(
        "p",
        { class: "vector-file" },
        upload.file_name,
        h("small", {}, ` · ${upload.format.toUpperCase()} · ${num(upload.size_bytes / 1024, 0)} KB · `, upload.crs ?? t("vector.no-crs")),
      ),
      this.layersTable(upload),
      h("label", { class: "vector-crs" }, t("vector.crs"), crs, this.crsChoices()),
      h("h3", {}, t("vector.rules")),
      ...this.rules.map((rule, i) => this.ruleRow(upload, rule, i)),
      add,
      h("label", { class: "vector-skip" }, skip, t("vector.skip-rejected")),
      this.check ? this.checkSummary(this.check, upload) : h("p", { class: "muted" }, t("vector.check-first")),
      message,
      h("div", { class: "plans-buttons" }, dry, write, cancel),
    );
  }
}
