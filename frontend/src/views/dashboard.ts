// The dashboard: the figures the regulators' guide asks for, counted in the database for the user's
// scope (/app/stats, web/stats.py) and drawn with Apache ECharts.

import { BarChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { getJSON } from "../api";
import { centresSection } from "../centres";
import { h, replace } from "../dom";
import { choice, lang, num, onLangChange, t, type Key } from "../i18n";
import { GRADE_COLORS, NOT_MAJOR } from "../map/colors";
import type { Shell } from "../shell";

echarts.use([BarChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type Pairs = Array<[string | number | null, number]>;
type Places = Array<[string, number, string, string]>;

export interface Stats {
  days: number;
  hazard_sources: {
    total: number;
    major: number;
    by_grade: Pairs;
    by_accident: Pairs;
    by_region: Places;
    by_kind: Pairs;
    by_year: Pairs;
  };
  alarms: {
    total: number;
    open: number;
    by_hour: Pairs;
    by_month: Pairs;
    by_device: Pairs;
    by_kind: Pairs;
    by_level: Pairs;
    by_region: Places;
    by_industry: Pairs;
  };
}

const PERIODS = [7, 30, 90, 365];
const ACCENT = "#1f6feb";
const ALARM = "#d7191c";

export interface DashboardHandle {
  charts: Record<string, echarts.ECharts>;
  stats(): Stats | null;
  ready: Promise<void>;
}

function bar(categories: string[], values: number[], color: string, horizontal = false): echarts.EChartsCoreOption {
  const category = { type: "category", data: categories, axisLabel: { interval: 0, hideOverlap: true }, axisTick: { show: false } };
  const value = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef1f4" } } };
  return {
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? { ...category, inverse: true } : value,
    series: [{ type: "bar", data: values, itemStyle: { color, borderRadius: 3 }, barMaxWidth: 28 }],
    animationDuration: 300,
  };
}

function place(row: [string, number, string, string]): string {
  return lang() === "en" && row[3] ? row[3] : row[2] || row[0];
}

export async function dashboardView(frame: Shell): Promise<DashboardHandle> {
  const charts: Record<string, echarts.ECharts> = {};
  const period = h("div", { class: "periods", role: "group" });
  const summary = h("div", { class: "summary" });
  const grid = h("div", { class: "charts" });
  const status = h("p", { class: "muted" });
  const centres = centresSection(); // shown where centres below send their summaries
  frame.main.append(h("div", { class: "dashboard" }, h("header", {}, summary, period), status, centres.element, grid));
  let days = 30;
  let stats: Stats | null = null;

  const panels: Array<[string, Key]> = [
    ["sources-grade", "dash.sources.grade"],
    ["sources-accident", "dash.sources.accident"],
    ["sources-region", "dash.sources.region"],
    ["sources-year", "dash.sources.year"],
    ["alarms-hour", "dash.alarms.hour"],
    ["alarms-device", "dash.alarms.device"],
    ["alarms-month", "dash.alarms.month"],
    ["alarms-kind", "dash.alarms.kind"],
    ["alarms-industry", "dash.alarms.industry"],
    ["alarms-region", "dash.alarms.region"],
  ];
  const titles: Record<string, HTMLElement> = {};
  for (const [id] of panels) {
    const title = h("h2", {});
    const canvas = h("div", { class: "chart", "data-chart": id });
    titles[id] = title;
    grid.append(h("section", { class: "chart-panel" }, title, canvas));
    charts[id] = echarts.init(canvas, undefined, { renderer: "canvas" });
  }
  new ResizeObserver(() => Object.values(charts).forEach((c) => c.resize())).observe(grid);

  const draw = () => {
    for (const [id, key] of panels) titles[id].textContent = t(key, { days });
    replace(
      period,
      ...PERIODS.map((n) =>
        h(
          "button",
          { type: "button", "aria-pressed": String(n === days), onclick: () => void load(n) },
          t("dash.days", { days: n }),
        ),
      ),
    );
    if (!stats) return;
    const s = stats.hazard_sources;
    const a = stats.alarms;
    replace(
      summary,
      ...(
        [
          ["dash.total", s.total, ""],
          ["dash.major", s.major, ""],
          ["dash.grade12", s.by_grade.filter(([g]) => g === 1 || g === 2).reduce((n, [, c]) => n + c, 0), "warn"],
          ["dash.alarms", a.total, ""],
          ["dash.open", a.open, a.open ? "alarm" : ""],
        ] as Array<[Key, number, string]>
      ).map(([key, value, tone]) =>
        h("div", { class: `figure ${tone}` }, h("b", {}, num(value, 0)), h("span", {}, t(key, { days }))),
      ),
    );
    charts["sources-grade"].setOption(
      {
        tooltip: { trigger: "item" },
        legend: { bottom: 0, icon: "circle" },
        series: [
          {
            type: "pie",
            radius: ["42%", "70%"],
            center: ["50%", "45%"],
            label: { formatter: "{c}" },
            data: s.by_grade.map(([grade, count]) => ({
              name: typeof grade === "number" ? t(`grade.${grade}` as Key) : t("grade.none"),
              value: count,
              itemStyle: { color: typeof grade === "number" ? GRADE_COLORS[grade] : NOT_MAJOR },
            })),
          },
        ],
        animationDuration: 300,
      },
      true,
    );
    const accidents = s.by_accident.map(([kind]) => t(`card.${kind}` as Key));
    charts["sources-accident"].setOption(bar(accidents, s.by_accident.map(([, n]) => n), "#f46d1b"), true);
    const regions = s.by_region.slice(0, 15);
    charts["sources-region"].setOption(bar(regions.map(place), regions.map((r) => r[1]), ACCENT, true), true);
    charts["sources-year"].setOption(bar(s.by_year.map(([y]) => String(y)), s.by_year.map(([, n]) => n), ACCENT), true);
    const hours = Array.from({ length: 24 }, (_, hour) => a.by_hour.find(([x]) => x === hour)?.[1] ?? 0);
    charts["alarms-hour"].setOption(bar(hours.map((_, hour) => String(hour)), hours, ALARM), true);
    charts["alarms-device"].setOption(
      bar(a.by_device.map(([k]) => (k === null ? t("dash.other") : choice("sensors", "kind", k))), a.by_device.map(([, n]) => n), ALARM, true),
      true,
    );
    const months = Array.from({ length: 12 }, (_, m) => a.by_month.find(([x]) => x === m + 1)?.[1] ?? 0);
    const monthName = (m: number) => new Date(2000, m, 1).toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", { month: "short" });
    charts["alarms-month"].setOption(bar(months.map((_, m) => monthName(m)), months, ALARM), true);
    charts["alarms-kind"].setOption(bar(a.by_kind.map(([k]) => choice("alarms", "kind", k)), a.by_kind.map(([, n]) => n), ALARM, true), true);
    charts["alarms-industry"].setOption(
      bar(a.by_industry.map(([k]) => (k === null ? t("dash.other") : choice("enterprises", "industry", k))), a.by_industry.map(([, n]) => n), ALARM, true),
      true,
    );
    const alarmRegions = a.by_region.slice(0, 15);
    charts["alarms-region"].setOption(bar(alarmRegions.map(place), alarmRegions.map((r) => r[1]), ALARM, true), true);
  };

  const load = async (n: number) => {
    days = n;
    status.textContent = t("card.loading");
    draw();
    try {
      stats = await getJSON<Stats>(`/app/stats?days=${n}`);
      status.textContent = "";
    } catch (error) {
      status.textContent = t("card.failed", { error: (error as Error).message });
    }
    draw();
  };
  onLangChange(draw);
  const ready = Promise.all([load(days), centres.ready]).then(() => undefined);
  return { charts, stats: () => stats, ready };
}
