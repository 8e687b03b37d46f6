// The front end's entry: pick the view from the path, build the frame, start the view.

import { h } from "./dom";
import { t } from "./i18n";
import { shell, type Shell, type ViewName } from "./shell";
import "./styles.css";
import { commandView } from "./views/command";

declare global {
  interface Window {
    /** What the browser tests (and a curious person in the console) can reach: the view and its parts. */
    hazmap?: { view: ViewName; handle?: unknown; error?: string };
  }
}

// The command view is in the first bundle; the others load when opened (the dashboard brings ECharts).
const VIEWS: Partial<Record<ViewName, (frame: Shell) => Promise<unknown>>> = {
  command: commandView,
  inspector: async (frame) => (await import("./views/inspector")).inspectorView(frame),
  dashboard: async (frame) => (await import("./views/dashboard")).dashboardView(frame),
  planner: async (frame) => (await import("./views/planner")).plannerView(frame),
  tasks: async (frame) => (await import("./views/tasks")).tasksView(frame),
};

function viewOf(path: string): ViewName {
  const name = path.replace(/^\/+|\/+$/g, "") || "command";
  return name in VIEWS ? (name as ViewName) : "command";
}

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  const view = viewOf(location.pathname);
  window.hazmap = { view };
  const frame = shell(root, view, Object.keys(VIEWS) as ViewName[]);
  try {
    window.hazmap.handle = await VIEWS[view]!(frame);
  } catch (error) {
    const message = (error as Error).message;
    window.hazmap.error = message;
    frame.main.append(h("p", { class: "fatal", role: "alert" }, t("map.load-failed", { error: message })));
    throw error;
  }
}

void start();
