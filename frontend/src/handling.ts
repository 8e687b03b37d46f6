// Handling an alarm to closure from its card (command view): where it stands, the deadline of its next step,
// a button for each step the user may take (with the few fields the step needs), the timeline, and the PDF
// report once closed. The server decides who may do what (/app/alarms/{id}/handling); a refusal shows its reason.

import { getJSON, postJSON, type Item } from "./api";
import { h, replace } from "./dom";
import { choice, onLangChange, t, time, type Key } from "./i18n";
import type { LiveEvent } from "./live";

export interface HandlingAlarm {
  id: number;
  state: string;
  state_label: string;
  next_step: string | null;
  next_step_label: string | null;
  waiting: string | null;
  ended_at: string | null;
  deadline: string | null;
  overdue: boolean;
  steps: string[];
  escalated_to: Array<{ code: string; name: string }>;
  report_pdf: string | null;
}

export interface HandlingRecord {
  step: string;
  label: string;
  time: string;
  actor: string;
  comment: string;
  payload: Record<string, unknown>;
  region: { code: string; name: string } | null;
}

export interface Timeline {
  alarm: HandlingAlarm;
  timeline: HandlingRecord[];
}

const FINDINGS = ["real", "false_alarm", "test"] as const;

/** A form control with its label above it. */
export function labelled(key: Key, control: HTMLElement): HTMLElement {
  return h("label", {}, h("span", {}, t(key)), control);
}

/** A text area named ``name``. */
export function area(name: string, rows = 3): HTMLTextAreaElement {
  return h("textarea", { name, rows });
}

/** One button for each step in ``steps`` (``open``: the one whose form is shown), each calling ``choose``. */
export function stepButtons(
  steps: string[],
  name: (step: string) => string,
  choose: (step: string) => void,
  open: string | null,
  busy: boolean,
): HTMLElement {
  return h(
    "div",
    { class: "handling-steps" },
    ...steps.map((step) =>
      h(
        "button",
        { type: "button", class: open === step ? "button primary" : "button", "data-step": step, disabled: busy, onclick: () => choose(step) },
        name(step),
      ),
    ),
  );
}

/** The form of a step: its ``fields``, a submit button (``submitLabel``) calling ``submit`` and a cancel button. */
export function stepFormElement(
  step: string,
  fields: HTMLElement[],
  submit: () => void,
  cancel: () => void,
  submitLabel: Key = "handling.submit",
): { element: HTMLFormElement; submit: HTMLButtonElement } {
  const button = h("button", { type: "submit", class: "button primary" }, t(submitLabel));
  const element = h(
    "form",
    {
      class: "handling-form",
      "data-step": step,
      onsubmit: (event: Event) => {
        event.preventDefault();
        submit();
      },
    },
    ...fields,
    h("div", { class: "sim-actions" }, button, h("button", { type: "button", class: "button", onclick: cancel }, t("handling.cancel"))),
  );
  return { element, submit: button };
}

/** A step taken, as the timeline shows it. */
export interface TimelineEntry {
  step: string;
  time: string;
  label: string;
  who: string;
  note?: string;
}

/** The timeline of steps taken: when, what, who, and a note. */
export function timeline(entries: TimelineEntry[], className = ""): HTMLElement {
  return h(
    "ol",
    { class: `handling-timeline ${className}`.trim() },
    ...entries.map((e) =>
      h(
        "li",
        { "data-step": e.step },
        h("time", { datetime: e.time }, time(e.time, true)),
        " ",
        h("b", {}, e.label),
        " ",
        e.who,
        e.note ? h("span", { class: "muted" }, ` ${e.note}`) : null,
      ),
    ),
  );
}

/** The fields a step's form asks for, and the body they make. */
function stepForm(step: string): { fields: HTMLElement[]; body: () => Record<string, unknown> } {
  const comment = area("comment", 2);
  if (step === "verify") {
    const finding = h("select", { name: "finding" }, ...FINDINGS.map((f) => h("option", { value: f }, t(`handling.finding.${f}` as Key))));
    return {
      fields: [labelled("handling.finding", finding), labelled("handling.comment", comment)],
      body: () => ({ finding: finding.value, comment: comment.value }),
    };
  }
  if (step === "apply_plan") {
    const plan = h("input", { type: "text", name: "plan" });
    const measures = area("measures");
    return {
      fields: [labelled("handling.plan", plan), labelled("handling.measures", measures), labelled("handling.comment", comment)],
      body: () => ({
        plan: plan.value,
        measures: measures.value.split("\n").map((m) => m.trim()).filter(Boolean),
        comment: comment.value,
      }),
    };
  }
  if (step === "report") {
    const text = area("text", 4);
    const cause = area("cause", 2);
    const corrective = area("corrective", 2);
    return {
      fields: [labelled("handling.text", text), labelled("handling.cause", cause), labelled("handling.corrective", corrective)],
      body: () => ({ text: text.value, cause: cause.value, corrective: corrective.value }),
    };
  }
  return { fields: [labelled("handling.comment", comment)], body: () => ({ comment: comment.value }) };
}

export class HandlingPanel {
  private element: HTMLElement | null = null;
  private alarmId: number | null = null;
  private data: Timeline | null = null;
  private open: string | null = null; // the step whose form is shown
  private error: string | null = null;
  private busy = false;
  // The open step's form, kept across renders so that what the user typed survives a reload from the stream.
  private form: { step: string; element: HTMLElement; submit: HTMLButtonElement } | null = null;

  constructor() {
    onLangChange(() => {
      this.form = null; // its labels in the new language
      if (this.alarmId !== null) void this.load(); // the server's words (timeline labels) in the new language
    });
  }

  /** The handling section of the card of ``alarm`` (the same element while it stays on the card). */
  panel(alarm: Item): HTMLElement {
    if (this.element && this.alarmId === alarm.id) return this.element;
    this.alarmId = alarm.id;
    this.data = null;
    this.open = null;
    this.form = null;
    this.error = null;
    this.element = h("section", { class: "handling", "data-alarm": alarm.id });
    this.render();
    void this.load();
    return this.element;
  }

  /** Read the alarm's handling again when the stream says its state changed (another person took a step) or its
   * condition cleared. */
  live(events: LiveEvent[]): void {
    if (this.alarmId === null || this.busy) return;
    const known = this.data?.alarm;
    const mine = events.some(
      (e) =>
        e.collection === "alarms" &&
        e.featureId === this.alarmId &&
        ((e.properties.state !== undefined && e.properties.state !== known?.state) ||
          (e.properties.ended_at !== undefined && Boolean(e.properties.ended_at) !== Boolean(known?.ended_at))),
    );
    if (mine) void this.load();
  }

  private async load(): Promise<void> {
    const id = this.alarmId;
    try {
      const data = await getJSON<Timeline>(`/app/alarms/${id}/handling`);
      if (id !== this.alarmId) return;
      this.data = data;
      this.error = null;
    } catch (error) {
      this.error = t("handling.failed", { error: (error as Error).message });
    }
    this.render();
  }

  private async take(step: string, body: Record<string, unknown>): Promise<void> {
    this.busy = true;
    this.render();
    try {
      this.data = await postJSON<Timeline>(`/app/alarms/${this.alarmId}/${step}`, body);
      this.open = null;
      this.error = null;
    } catch (error) {
      this.error = t("handling.failed", { error: (error as Error).message });
    }
    this.busy = false;
    this.render();
  }

  private render(): void {
    if (!this.element) return;
    const data = this.data;
    if (!data) {
      replace(this.element, h("h3", {}, t("handling.title")), h("p", { class: "muted" }, this.error ?? t("card.loading")));
      return;
    }
    const a = data.alarm;
    const status = h("p", { class: "handling-state", "data-state": a.state }, t("handling.state", { state: choice("alarms", "state", a.state) }));
    const next = a.next_step
      ? h(
          "p",
          { class: "handling-deadline", "data-overdue": String(a.overdue) },
          t("handling.next", { step: t(`handling.step.${a.next_step}` as Key), deadline: time(a.deadline, true) }),
          a.overdue ? h("b", { class: "overdue" }, ` ${t("handling.overdue")}`) : null,
        )
      : null;
    const waiting = a.waiting ? h("p", { class: "handling-waiting muted" }, a.waiting) : null;
    const escalated = a.escalated_to.length
      ? h("p", { class: "muted" }, t("handling.escalated", { regions: a.escalated_to.map((r) => r.name).join("、") }))
      : null;
    const buttons = stepButtons(
      a.steps,
      (step) => t(`handling.step.${step}` as Key),
      (step) => {
        this.open = this.open === step ? null : step;
        this.render();
      },
      this.open,
      this.busy,
    );
    const form = this.open && a.steps.includes(this.open) ? this.stepForm(this.open) : null;
    if (!form) this.form = null; // a step opened again starts from an empty form
    const records = timeline(
      data.timeline.map((r) => ({
        step: r.step,
        time: r.time,
        label: r.label,
        who: r.region ? `→ ${r.region.name}` : r.actor,
        note: r.comment,
      })),
    );
    replace(
      this.element,
      h("h3", {}, t("handling.title")),
      status,
      next,
      waiting,
      escalated,
      buttons,
      form,
      this.error ? h("p", { class: "error", role: "alert" }, this.error) : null,
      data.timeline.length ? records : null,
      a.report_pdf ? h("a", { class: "link", href: a.report_pdf, target: "_blank", rel: "noopener" }, t("handling.report-pdf")) : null,
    );
  }

  /** The form of ``step``: the one already shown (with what was typed in it) or a new one. */
  private stepForm(step: string): HTMLElement {
    if (this.form?.step !== step) {
      const { fields, body } = stepForm(step);
      const { element, submit } = stepFormElement(
        step,
        fields,
        () => void this.take(step, body()),
        () => ((this.open = null), this.render()),
      );
      this.form = { step, element, submit };
    }
    this.form.submit.disabled = this.busy;
    return this.form.element;
  }
}
