// The dashboard's table of the centres below this one (the hierarchy's periodic summaries,
// /app/hierarchy/summaries, hierarchy/summary.py): each centre's latest figures and how old they are,
// a centre that has not reported for two of its intervals marked late. Shown only where there are some.

import { getJSON } from "./api";
import { h, replace } from "./dom";
import { lang, num, onLangChange, t, time } from "./i18n";

/** A summary's figures (whole-number counts), as hierarchy/summary.py ``figures`` makes them. */
interface Figures {
  hazard_sources: { total: number; major: number; by_grade: Record<string, number> };
  alarms: { open: number; overdue: number; raised: number };
  sensors: { total: number; online: number; stale: number; offline: number; never_reported: number };
}

/** The latest summary of a centre. */
export interface CentreSummary {
  centre: string;
  region: { code: string; name: string; name_en: string | null };
  period_start: string;
  period_end: string;
  age_s: number;
  late: boolean;
  figures: Figures;
}

/** How long ago, in the largest whole unit (minutes, hours, days). */
function ago(seconds: number): string {
  if (seconds < 3600) return t("centres.minutes", { n: Math.max(0, Math.floor(seconds / 60)) });
  if (seconds < 86_400) return t("centres.hours", { n: Math.floor(seconds / 3600) });
  return t("centres.days", { n: Math.floor(seconds / 86_400) });
}

/** The section (hidden until there is a summary) and a promise settled once it is loaded. */
export function centresSection(): { element: HTMLElement; ready: Promise<void> } {
  const element = h("section", { class: "centres chart-panel", hidden: true });
  let rows: CentreSummary[] = [];
  let failed = "";

  const render = () => {
    element.hidden = rows.length === 0 && !failed;
    const head = h(
      "tr",
      {},
      ...[t("centres.centre"), t("centres.as-of"), t("centres.sources"), t("centres.grade12"), t("centres.alarms"), t("centres.raised"), t("centres.sensors")].map(
        (c) => h("th", {}, c),
      ),
    );
    const body = rows.map((s) => {
      const f = s.figures;
      const name = lang() === "en" && s.region.name_en ? s.region.name_en : s.region.name;
      const grade12 = (f.hazard_sources.by_grade["1"] ?? 0) + (f.hazard_sources.by_grade["2"] ?? 0);
      return h(
        "tr",
        { "data-centre": s.centre, class: s.late ? "late" : null },
        h("td", {}, h("b", {}, name), h("small", {}, s.centre)),
        h(
          "td",
          {},
          time(s.period_end, true),
          h("small", { class: s.late ? "late-note" : null }, s.late ? t("centres.late", { ago: ago(s.age_s) }) : ago(s.age_s)),
        ),
        h("td", { class: "num" }, num(f.hazard_sources.major, 0)),
        h("td", { class: "num" }, num(grade12, 0)),
        h(
          "td",
          { class: "num" },
          num(f.alarms.open, 0),
          f.alarms.overdue ? h("small", { class: "late-note" }, t("centres.overdue", { n: f.alarms.overdue })) : null,
        ),
        h("td", { class: "num" }, num(f.alarms.raised, 0)),
        h("td", { class: "num" }, [f.sensors.online, f.sensors.stale, f.sensors.offline, f.sensors.never_reported].map((n) => num(n, 0)).join(" / ")),
      );
    });
    replace(
      element,
      h("h2", {}, t("centres.title")),
      failed ? h("p", { class: "muted", role: "alert" }, failed) : h("table", { class: "centres-table" }, h("thead", {}, head), h("tbody", {}, ...body)),
    );
  };

  const ready = getJSON<{ items: CentreSummary[] }>("/app/hierarchy/summaries")
    .then((answer) => {
      rows = answer.items;
    })
    .catch((error: Error) => {
      failed = t("card.failed", { error: error.message });
    })
    .finally(render);
  onLangChange(render);
  return { element, ready };
}
