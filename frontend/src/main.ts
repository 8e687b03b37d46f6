// The front end's entry: pick the view from the path, build the frame, start the view.

import { h } from "./dom";
import { t } from "./i18n";
import { shell, type ViewName } from "./shell";
import "./styles.css";
import { commandView, type CommandHandle } from "./views/command";

declare global {
  interface Window {
    /** What the browser tests (and a curious person in the console) can reach. */
    hazmap?: { view: ViewName; handle?: CommandHandle; error?: string };
  }
}

const VIEWS: ViewName[] = ["command"];

function viewOf(path: string): ViewName {
  const name = path.replace(/^\/+|\/+$/g, "");
  return (VIEWS as string[]).includes(name) ? (name as ViewName) : "command";
}

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  const view = viewOf(location.pathname);
  window.hazmap = { view };
  const frame = shell(root, view, VIEWS);
  try {
    window.hazmap.handle = await commandView(frame);
  } catch (error) {
    const message = (error as Error).message;
    window.hazmap.error = message;
    frame.main.append(h("p", { class: "fatal", role: "alert" }, t("map.load-failed", { error: message })));
    throw error;
  }
}

void start();
