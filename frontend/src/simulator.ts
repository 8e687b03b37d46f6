// Simulating a release from the tank or unit on the card (command view): a few choices, the zones
// drawn with the live wind, who and what is inside, and a new run when the wind turns.

import type { Map as MapLibreMap } from "maplibre-gl";
import type { Item } from "./api";
import { KINDS, RELEASES, WindWatch, addZoneLayers, drawZones, resultView, simulate, type Consequence } from "./consequence";
import { h, replace } from "./dom";
import { choice, onLangChange, t, type Key } from "./i18n";
import type { LiveEvent } from "./live";
import { bounds } from "./map/geometry";

export const SIMULATION = "simulation"; // the GeoJSON source of the zones
const HOLE_MM = 25;

export class Simulator {
  result: Consequence | null = null;
  runs = 0;
  /** A wind change redoes the run, at most this often (ms). */
  rerunEveryMs = 15000;
  private rerun: number | null = null;
  private equipment: Item | null = null;
  private watch: WindWatch | null = null;
  private lastRun = 0;
  private running: AbortController | null = null;
  private element: HTMLElement | null = null;
  private form: { kind: HTMLSelectElement; release: HTMLSelectElement; hole: HTMLInputElement; follow: HTMLInputElement } | null =
    null;
  private output: HTMLElement | null = null;

  constructor(
    private readonly map: MapLibreMap,
    private readonly rightPadding: () => number,
  ) {
    map.once("load", () => addZoneLayers(map, SIMULATION, "hazard-sources-fill"));
    onLangChange(() => this.render());
  }

  /** The simulation section of the card of ``equipment`` (the same element while it stays on the card). */
  panel(equipment: Item): HTMLElement {
    if (this.element && this.equipment?.id === equipment.id) return this.element;
    this.equipment = equipment;
    const kind = h("select", { name: "kind" });
    const release = h("select", { name: "release" });
    const hole = h("input", { type: "number", name: "hole_mm", min: 1, max: 1000, step: 1, value: HOLE_MM, inputmode: "numeric" });
    const follow = h("input", { type: "checkbox", name: "follow", checked: true });
    release.addEventListener("change", () => this.render());
    this.form = { kind, release, hole, follow };
    this.output = h("div", { class: "sim-output", "aria-live": "polite" });
    this.element = h("section", { class: "simulate" });
    this.render();
    return this.element;
  }

  /** Forget the run and its zones (the card closed or shows something else). */
  clear(): void {
    this.running?.abort();
    if (this.rerun !== null) window.clearTimeout(this.rerun);
    this.rerun = null;
    this.result = null;
    this.watch = null;
    if (this.map.getSource(SIMULATION)) drawZones(this.map, SIMULATION, null);
    if (this.output) replace(this.output);
  }

  /** Follow the live stream: a wind change redoes the run (at most every ``rerunEveryMs``). */
  live(events: LiveEvent[]): void {
    if (!this.watch || !this.form?.follow.checked || this.rerun !== null || !this.watch.changed(events)) return;
    const wait = Math.max(0, this.lastRun + this.rerunEveryMs - Date.now());
    this.rerun = window.setTimeout(() => {
      this.rerun = null;
      if (this.watch) void this.run(false);
    }, wait);
  }

  async run(fit = true): Promise<void> {
    if (!this.equipment || !this.form || !this.output) return;
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    const inputs: Record<string, unknown> = {
      equipment: this.equipment.id,
      kind: this.form.kind.value,
      release: this.form.release.value,
    };
    if (this.form.release.value === "hole") inputs.hole_diameter_m = Number(this.form.hole.value) / 1000;
    this.lastRun = Date.now();
    this.output.dataset.state = "running";
    replace(this.output, h("p", { class: "muted" }, t("sim.running")));
    try {
      const result = await simulate(inputs, abort.signal);
      this.result = result;
      this.runs += 1;
      this.watch = new WindWatch(result);
      drawZones(this.map, SIMULATION, result);
      this.output.dataset.state = "done";
      replace(this.output, resultView(result));
      if (fit) this.output.scrollIntoView({ block: "nearest", behavior: "smooth" });
      const drawn = result.features.filter((f) => f.geometry);
      if (fit && drawn.length) {
        const [w, s, e, n] = bounds(drawn[drawn.length - 1].geometry!);
        this.map.fitBounds([w, s, e, n], { padding: { top: 40, bottom: 40, left: 40, right: this.rightPadding() }, maxZoom: 16, duration: 400 });
      }
    } catch (error) {
      if ((error as Error).name === "AbortError") return;
      this.output.dataset.state = "failed";
      replace(this.output, h("p", { class: "error" }, t("sim.failed", { error: (error as Error).message })));
    }
  }

  private render(): void {
    if (!this.element || !this.form || !this.output) return;
    const { kind, release, hole, follow } = this.form;
    const chosen = [kind.value || "toxic", release.value || "hole"];
    replace(kind, ...KINDS.map((k) => h("option", { value: k, selected: k === chosen[0] }, choice("scenarios", "kind", k))));
    replace(release, ...RELEASES.map((r) => h("option", { value: r, selected: r === chosen[1] }, t(`sim.release.${r}` as Key))));
    const holeRow = h("label", { hidden: chosen[1] !== "hole" }, h("span", {}, t("sim.hole")), hole);
    replace(
      this.element,
      h("h3", {}, t("sim.title")),
      h(
        "form",
        {
          class: "sim-form",
          onsubmit: (event: Event) => {
            event.preventDefault();
            void this.run();
          },
        },
        h("label", {}, h("span", {}, t("sim.kind")), kind),
        h("label", {}, h("span", {}, t("sim.release")), release),
        holeRow,
        h("label", { class: "check" }, follow, h("span", {}, t("sim.follow"))),
        h(
          "div",
          { class: "sim-actions" },
          h("button", { type: "submit", class: "button primary" }, t("sim.run")),
          h("button", { type: "button", class: "button", onclick: () => this.clear() }, t("sim.clear")),
        ),
      ),
      this.output,
    );
    if (this.result) replace(this.output, resultView(this.result));
  }
}
