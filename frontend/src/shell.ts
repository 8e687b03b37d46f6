// The frame around every view: the top bar with the views, the live status, the language switch and
// the user; the view's own content goes into ``main``.

import { h, replace } from "./dom";
import { lang, onLangChange, setLang, t, type Key } from "./i18n";
import { inbox } from "./inbox";
import type { LiveStatus } from "./live";
import { session } from "./session";

export type ViewName = "command" | "inspector" | "dashboard" | "planner" | "tasks";

export const VIEW_PATHS: Record<ViewName, string> = {
  command: "/",
  inspector: "/inspector",
  dashboard: "/dashboard",
  planner: "/planner",
  tasks: "/tasks",
};

export interface Shell {
  main: HTMLElement;
  /** A place in the top bar for the view's tools (the command view's search). */
  tools: HTMLElement;
  setLive(status: LiveStatus): void;
}

/** Build the frame for ``view`` into ``root``; its texts follow language switches. */
export function shell(root: HTMLElement, view: ViewName, views: ViewName[]): Shell {
  const user = session().user;
  const title = h("span", { class: "brand-view" });
  const nav = h("nav", { class: "views" });
  const tools = h("div", { class: "tools" });
  const live = h("span", { class: "live", role: "status", hidden: true }); // shown once a view follows the stream
  const langButton = h("button", { class: "lang", type: "button", onclick: () => setLang(lang() === "zh" ? "en" : "zh") });
  const signOut = h("button", { class: "signout", type: "submit" });
  const logout = h(
    "form",
    { method: "post", action: "/logout/", class: "logout" },
    h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: session().csrf }),
    signOut,
  );
  const admin = user.staff ? h("a", { class: "admin", href: "/admin/" }) : null;
  const main = h("main", { class: `view view-${view}` });
  let liveStatus: LiveStatus | null = null;

  const render = () => {
    title.textContent = t(`view.${view}` as Key);
    replace(
      nav,
      ...views.map((name) =>
        h("a", { href: VIEW_PATHS[name], "aria-current": name === view ? "page" : null }, t(`view.${name}` as Key)),
      ),
    );
    langButton.textContent = t("lang.switch");
    langButton.title = t("lang.switch.title");
    signOut.textContent = t("user.signout");
    if (admin) admin.textContent = t("user.admin");
    if (liveStatus) setLive(liveStatus);
    document.title = `${t(`view.${view}` as Key)} · hazmap`;
  };
  const setLive = (status: LiveStatus) => {
    liveStatus = status;
    live.hidden = false;
    live.dataset.status = status;
    const text = t(`live.${status}` as Key);
    live.title = text;
    live.setAttribute("aria-label", text);
  };
  root.replaceChildren(
    h(
      "header",
      { class: "topbar" },
      h("a", { class: "brand", href: "/" }, h("b", {}, "hazmap"), title),
      nav,
      tools,
      h("div", { class: "session" }, live, inbox(), langButton, h("span", { class: "user", title: user.username }, user.name), admin, logout),
    ),
    main,
  );
  render();
  onLangChange(render);
  return { main, tools, setLive };
}
