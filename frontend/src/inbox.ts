// The notification bell in the top bar: the unread count of the user's inbox (/app/notifications),
// refreshed every 30 s, and a list that opens on click with "mark all read".

import { getJSON, postJSON } from "./api";
import { h, replace } from "./dom";
import { onLangChange, t, time } from "./i18n";

interface Notice {
  id: number;
  subject: string;
  body: string;
  created_at: string;
  read_at: string | null;
}

interface Inbox {
  unread: number;
  notifications: Notice[];
}

export const REFRESH_MS = 30_000;

const SVG = "http://www.w3.org/2000/svg";

/** A bell drawn as SVG (no emoji font is needed). */
function bellIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute(
    "d",
    "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1z",
  );
  svg.append(path);
  return svg;
}

/** The bell and its list; it fetches now, then every ``REFRESH_MS``. */
export function inbox(): HTMLElement {
  const count = h("span", { class: "inbox-count", hidden: true });
  const bell = h("button", { class: "inbox-bell", type: "button", "aria-haspopup": "true", "aria-expanded": "false" }, bellIcon(), count);
  const list = h("div", { class: "inbox-list", role: "dialog", hidden: true });
  const root = h("div", { class: "inbox" }, bell, list);
  let last: Inbox = { unread: 0, notifications: [] };
  let failed = "";

  const render = () => {
    count.hidden = last.unread === 0;
    count.textContent = last.unread > 99 ? "99+" : String(last.unread);
    bell.title = t("inbox.title", { n: String(last.unread) });
    bell.setAttribute("aria-label", bell.title);
    const readAll = h("button", { type: "button", class: "inbox-read", onclick: () => void markAllRead() }, t("inbox.readAll"));
    readAll.hidden = last.unread === 0;
    replace(
      list,
      h("div", { class: "inbox-head" }, h("b", {}, t("inbox.heading")), readAll),
      ...(failed ? [h("p", { class: "inbox-error" }, failed)] : []),
      ...(last.notifications.length === 0 && !failed ? [h("p", { class: "inbox-empty" }, t("inbox.empty"))] : []),
      ...last.notifications.map((n) =>
        h(
          "article",
          { class: n.read_at ? "notice" : "notice unread" },
          h("div", { class: "notice-subject" }, n.subject),
          n.body ? h("div", { class: "notice-body" }, n.body) : null,
          h("time", { datetime: n.created_at }, time(n.created_at, true)),
        ),
      ),
    );
  };
  const refresh = async () => {
    try {
      last = await getJSON<Inbox>("/app/notifications?limit=20");
      failed = "";
    } catch (error) {
      failed = t("inbox.failed", { error: (error as Error).message });
    }
    render();
  };
  const markAllRead = async () => {
    try {
      await postJSON("/app/notifications/read", {});
    } catch (error) {
      failed = t("inbox.failed", { error: (error as Error).message });
    }
    await refresh();
  };
  bell.addEventListener("click", () => {
    list.hidden = !list.hidden;
    bell.setAttribute("aria-expanded", String(!list.hidden));
    if (!list.hidden) void refresh();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !list.hidden) {
      list.hidden = true;
      bell.setAttribute("aria-expanded", "false");
    }
  });
  onLangChange(render);
  render();
  void refresh();
  window.setInterval(() => void refresh(), REFRESH_MS);
  return root;
}
