// Search by name or code: hazard sources, enterprises, equipment and sensors, filtered in the
// database (CQL2 CASEI … LIKE through the OGC API), a few of each, as the person types.

import { cqlContains, items, type Item } from "./api";
import { h, replace } from "./dom";
import { collectionTitle, onLangChange, t } from "./i18n";

/** What each collection is searched by. */
const SEARCHED: Array<[string, string[]]> = [
  ["hazard-sources", ["name", "code"]],
  ["enterprises", ["name", "credit_code"]],
  ["equipment", ["name", "code"]],
  ["sensors", ["tag", "name"]],
];
const PER_COLLECTION = 5;
const DEBOUNCE_MS = 200;

export interface Hit {
  collection: string;
  feature: Item;
}

function filterFor(fields: string[], text: string): string {
  const pattern = cqlContains(text);
  return fields.map((field) => `CASEI(${field}) LIKE CASEI(${pattern})`).join(" OR ");
}

/** Features whose name or code contains ``text``, grouped by collection in the order above. */
export async function search(text: string, signal?: AbortSignal): Promise<Hit[]> {
  const pages = await Promise.all(
    SEARCHED.map(async ([collection, fields]) => {
      try {
        const page = await items(collection, { filter: filterFor(fields, text), limit: PER_COLLECTION }, signal);
        return page.features.map((feature) => ({ collection, feature }));
      } catch (error) {
        if ((error as Error).name === "AbortError") throw error;
        if ((error as { status?: number }).status === 401) return []; // a collection this user may not read
        throw error;
      }
    }),
  );
  return pages.flat();
}

function title(hit: Hit): string {
  const p = hit.feature.properties;
  return String(p.name ?? p.tag ?? "");
}

function subtitle(hit: Hit): string {
  const p = hit.feature.properties;
  return [p.code ?? p.tag ?? p.credit_code, p.enterprise_name].filter(Boolean).join(" · ");
}

/** The search box; ``onPick`` receives the hit a person chooses (click or Enter). */
export function searchBox(onPick: (hit: Hit) => void): HTMLElement {
  const input = h("input", { type: "search", class: "search-input", autocomplete: "off", spellcheck: "false" });
  const results = h("ul", { class: "search-results", role: "listbox", hidden: true });
  const box = h("div", { class: "search", role: "search" }, input, results);
  let timer: number | null = null;
  let abort: AbortController | null = null;
  let hits: Hit[] = [];
  let active = -1;

  const close = () => {
    results.hidden = true;
    active = -1;
  };
  const pick = (hit: Hit) => {
    close();
    input.value = title(hit);
    input.blur();
    onPick(hit);
  };
  const show = (message?: string) => {
    results.hidden = false;
    if (message) {
      replace(results, h("li", { class: "message" }, message));
      return;
    }
    let last = "";
    replace(
      results,
      ...hits.flatMap((hit, index) => {
        const group = hit.collection !== last ? h("li", { class: "group" }, collectionTitle(hit.collection)) : null;
        last = hit.collection;
        const row = h(
          "li",
          { role: "option", "aria-selected": String(index === active), "data-collection": hit.collection },
          h("button", { type: "button", onmousedown: (e: Event) => e.preventDefault(), onclick: () => pick(hit) },
            h("b", {}, title(hit)),
            h("small", {}, subtitle(hit)),
          ),
        );
        return group ? [group, row] : [row];
      }),
    );
  };
  const run = async () => {
    const text = input.value.trim();
    abort?.abort();
    if (!text) {
      close();
      return;
    }
    abort = new AbortController();
    try {
      hits = await search(text, abort.signal);
      active = hits.length ? 0 : -1;
      show(hits.length ? undefined : t("search.none", { q: text }));
    } catch (error) {
      if ((error as Error).name !== "AbortError") show(t("search.failed", { error: (error as Error).message }));
    }
  };
  input.addEventListener("input", () => {
    if (timer !== null) window.clearTimeout(timer);
    timer = window.setTimeout(run, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!hits.length) return;
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : hits.length - 1)) % hits.length;
      show();
    } else if (event.key === "Enter" && active >= 0 && hits[active]) {
      event.preventDefault();
      pick(hits[active]);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", close);
  input.addEventListener("focus", () => {
    if (hits.length && input.value.trim()) show();
  });
  const render = () => {
    input.placeholder = t("search.placeholder");
    input.setAttribute("aria-label", t("search.placeholder"));
  };
  render();
  onLangChange(render);
  return box;
}
