// The registry (备案) section of a hazard source's card: its status, the history of its steps and the
// steps the signed-in user may take now (/app/registry/{id}/history and /app/registry/{id}/{step}).
// The server decides who may do what; a refused step shows the server's reason.

import { getJSON, postJSON } from "./api";
import { h, replace } from "./dom";
import { t, time, type Key } from "./i18n";

interface RegistryEvent {
  step: string;
  step_label: string;
  time: string;
  actor: string;
  comment: string;
}

interface RegistrySource {
  registry_status: string;
  registry_status_label: string;
  registered_on: string | null;
  steps: string[];
}

interface History {
  source: RegistrySource;
  history: RegistryEvent[];
}

/** The section for hazard source ``id``; it loads itself, and after a step reloads and calls ``changed`` (the card
 * reloads its facts). */
export function registrySection(id: number, changed: () => void): HTMLElement {
  const root = h("section", { class: "registry", "data-source": id }, h("h3", {}, t("registry.title")));
  const load = async () => {
    let answer: History;
    try {
      answer = await getJSON<History>(`/app/registry/${id}/history`);
    } catch (error) {
      replace(root, h("h3", {}, t("registry.title")), h("p", { class: "error" }, t("card.failed", { error: (error as Error).message })));
      return;
    }
    render(answer);
  };
  const render = ({ source, history }: History) => {
    const comment = h("textarea", { class: "registry-comment", rows: 2, placeholder: t("registry.comment"), hidden: source.steps.length === 0 });
    const message = h("p", { class: "registry-message", role: "status" });
    const take = async (step: string, button: HTMLButtonElement) => {
      button.disabled = true;
      try {
        await postJSON(`/app/registry/${id}/${step}`, { comment: (comment as HTMLTextAreaElement).value });
        await load();
        changed();
      } catch (error) {
        message.textContent = (error as Error).message;
        message.classList.add("error");
        button.disabled = false;
      }
    };
    replace(
      root,
      h("h3", {}, t("registry.title")),
      h(
        "p",
        {},
        h("span", { class: `tag registry-status status-${source.registry_status}` }, source.registry_status_label),
        source.registered_on ? h("small", {}, ` ${t("registry.registeredOn", { date: source.registered_on })}`) : null,
      ),
      history.length
        ? h(
            "ol",
            { class: "registry-history" },
            ...history.map((e) =>
              h("li", {}, h("time", { datetime: e.time }, time(e.time, true)), ` ${e.step_label} · ${e.actor}`, e.comment ? h("q", {}, e.comment) : null),
            ),
          )
        : h("p", { class: "muted" }, t("registry.noHistory")),
      comment,
      h(
        "p",
        { class: "registry-steps" },
        ...source.steps.map((step) => {
          const button = h("button", { type: "button", class: "step", "data-step": step }, t(`registry.step.${step}` as Key)) as HTMLButtonElement;
          button.addEventListener("click", () => void take(step, button));
          return button;
        }),
      ),
      message,
    );
  };
  void load();
  return root;
}
