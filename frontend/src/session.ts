// The session the page was served with (web/views.py writes it into the page as JSON).

import type { Basemap } from "./map/basemap";

export type Lang = "zh" | "en";

/** The words of the data in one language: collection titles, attribute names, labels of coded values. */
export interface DataWords {
  collections: Record<string, string>;
  fields: Record<string, Record<string, string>>;
  choices: Record<string, Record<string, Record<string, string>>>;
}

export interface Place {
  code: string;
  name: string;
  name_en: string;
}

export interface Session {
  user: {
    username: string;
    name: string;
    role: string;
    staff: boolean;
    region: Place | null;
    enterprise: { id: number; name: string; name_en: string } | null;
  };
  language: Lang;
  languages: Lang[];
  csrf: string;
  labels: Record<Lang, DataWords>;
  /** The basemap beneath hazmap's layers (hazmap/basemap.py); null: the offline map alone. */
  basemap: Basemap | null;
}

let current: Session | null = null;

/** The session of this page; throws when the page was not served by hazmap (no session in it). */
export function session(): Session {
  if (current === null) {
    const element = document.getElementById("hazmap-session");
    if (element === null || !element.textContent) {
      throw new Error("This page was not served by hazmap: it holds no session. Open it through the hazmap server.");
    }
    current = JSON.parse(element.textContent) as Session;
  }
  return current;
}
