// The tasks view (任务): tasks go down the hierarchy and their reports come back up (/app/tasks,
// web/alarm_handling.py; who may take which step: geo/tasks.py). The list of the tasks the user may see, newest
// first, filtered by state; a task's detail beside it — its text, timeline, report and comment, and a button for
// each step the server says the user may take; for a region's regulators and commanders, the form that issues a
// task to an enterprise of their region or a region directly below. ``/tasks?task=ID`` opens that task.

import { explain, getJSON, items, postJSON, type Item } from "../api";
import { h, replace } from "../dom";
import { area, labelled, stepButtons, stepFormElement, timeline, type TimelineEntry } from "../handling";
import { onLangChange, placeName, t, time, type Key } from "../i18n";
import { session } from "../session";
import type { Shell } from "../shell";

interface Place {
  code: string;
  name: string;
}

export interface Task {
  id: number;
  title: string;
  text: string;
  state: State;
  state_label: string;
  from_region: Place;
  issued_by: string;
  to_region: Place;
  to_enterprise: { id: number; name: string } | null;
  alarm: number | null;
  hazard_source: number | null;
  due_at: string;
  overdue: boolean;
  issued_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  reported_at: string | null;
  reported_by: string | null;
  report: string;
  closed_at: string | null;
  closed_by: string | null;
  comment: string;
  steps: string[];
}

export interface TasksHandle {
  ready: Promise<void>;
  tasks(): Task[];
  current(): Task | null;
  open(id: number): Promise<void>;
}

const STATES = ["issued", "acknowledged", "reported", "closed"] as const;
type State = (typeof STATES)[number];
const ISSUER_ROLES = ["regulator", "emergency"]; // geo.tasks.ISSUER_ROLES
const BEIJING = "+08:00"; // Asia/Shanghai keeps no daylight saving time
const LIST_LIMIT = 200;

/** Whether the signed-in user issues tasks: a regulator or commander of a region (not of an enterprise). */
function issuer(): boolean {
  const user = session().user;
  return ISSUER_ROLES.includes(user.role) && user.region !== null && user.enterprise === null;
}

/** A ``datetime-local`` value typed in Beijing time (2026-05-03T17:00) as ISO 8601 with its offset; null if empty. */
export function beijingISO(local: string): string | null {
  const parts = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d)?/.exec(local);
  return parts ? `${parts[1]}${parts[2] ?? ":00"}${BEIJING}` : null;
}

/** Now plus ``days`` in Beijing time as a ``datetime-local`` value, at ``hour`` o'clock when given. */
function beijingLocal(days: number, hour?: number): string {
  const wall = new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 16);
  return hour === undefined ? wall : `${wall.slice(0, 11)}${String(hour).padStart(2, "0")}:00`;
}

function stateLabel(state: string): string {
  return t(`tasks.state.${state}` as Key);
}

function target(task: Task): string {
  return task.to_enterprise?.name ?? task.to_region.name;
}

/** The steps a task went through, as the timeline shows them. */
function entries(task: Task): TimelineEntry[] {
  const rows: Array<[State, string | null, string | null]> = [
    ["issued", task.issued_at, `${task.from_region.name} ${task.issued_by}`],
    ["acknowledged", task.acknowledged_at, task.acknowledged_by],
    ["reported", task.reported_at, task.reported_by],
    ["closed", task.closed_at, task.closed_by],
  ];
  return rows
    .filter(([, at]) => at)
    .map(([step, at, who]) => ({ step, time: at!, label: t(`tasks.step.${step}` as Key), who: who ?? "" }));
}

/** The enterprises of the user's region and the regions directly below it: what a task may be issued to. */
interface Targets {
  enterprises: Item[];
  regions: Item[];
}

async function loadTargets(code: string): Promise<Targets> {
  const [enterprises, regions] = await Promise.all([
    items("enterprises", { region_code: code, skipGeometry: "true", properties: "name,name_en", sortby: "name", limit: 1000 }),
    items("regions", { parent_code: code, skipGeometry: "true", properties: "code,name,name_en", sortby: "code", limit: 1000 }),
  ]);
  return { enterprises: enterprises.features, regions: regions.features };
}

function names(item: Item): string {
  return placeName(item.properties as { name: string; name_en?: string });
}

/** Copy what was typed into the named controls of ``from`` into those of ``to`` (a form rebuilt in another language). */
function keepValues(from: HTMLFormElement | null, to: HTMLFormElement): void {
  if (!from) return;
  for (const control of Array.from(from.elements) as HTMLInputElement[]) {
    const twin = control.name ? (to.elements.namedItem(control.name) as HTMLInputElement | null) : null;
    if (twin && "value" in twin) twin.value = control.value;
  }
}

export async function tasksView(frame: Shell): Promise<TasksHandle> {
  const canIssue = issuer();
  const region = session().user.region;
  let list: Task[] = [];
  let filter: State | null = null;
  let listState: "loading" | "ready" | "failed" = "loading";
  let listError = "";
  let selected: Task | null = null;
  let selectedId: number | null = null;
  let detailError: string | null = null;
  let issuing = false;
  let issueError: string | null = null;
  let targets: Targets | null = null;
  let targetsError: string | null = null;
  let busy = false;
  let open: string | null = null; // the step whose form is shown
  // the open step's form, kept across renders (what was typed survives); ``stale``: to be rebuilt in another language
  let stepForm: { step: string; task: number; element: HTMLFormElement; submit: HTMLButtonElement; stale: boolean } | null = null;
  let issueForm: HTMLFormElement | null = null;

  const heading = h("h2", {});
  const refresh = h("button", { type: "button", class: "panel-toggle task-refresh", onclick: () => void reload() });
  const newTask = canIssue
    ? h("button", { type: "button", class: "button primary task-new", onclick: () => startIssue() })
    : null;
  const filters = h("div", { class: "periods task-filter", role: "group" });
  const status = h("p", { class: "muted task-status", role: "status" });
  const rows = h("ul", { class: "task-list" });
  const detail = h("section", { class: "task-detail", "aria-live": "polite" });
  frame.main.append(
    h(
      "div",
      { class: "tasks" },
      h(
        "section",
        { class: "panel task-panel" },
        h("header", {}, heading, h("div", { class: "task-tools" }, refresh, newTask)),
        filters,
        status,
        rows,
      ),
      detail,
    ),
  );

  // --- the list --------------------------------------------------------------------------------------
  const renderList = () => {
    heading.textContent = t("tasks.heading");
    refresh.textContent = t("tasks.refresh");
    if (newTask) newTask.textContent = t("tasks.new");
    filters.setAttribute("aria-label", t("tasks.filter"));
    replace(
      filters,
      ...[null, ...STATES].map((state) =>
        h(
          "button",
          { type: "button", "data-state": state ?? "all", "aria-pressed": String(state === filter), onclick: () => void loadList(state) },
          state ? stateLabel(state) : t("tasks.all"),
        ),
      ),
    );
    status.textContent =
      listState === "loading"
        ? t("tasks.loading")
        : listState === "failed"
          ? t("tasks.failed", { error: listError })
          : list.length
            ? ""
            : filter
              ? t("tasks.empty-state", { state: stateLabel(filter) })
              : t("tasks.empty");
    status.classList.toggle("error", listState === "failed");
    replace(
      rows,
      ...list.map((task) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "task-row",
              "data-task": task.id,
              "data-state": task.state,
              "data-overdue": String(task.overdue),
              "aria-current": task.id === selectedId && !issuing ? "true" : null,
              onclick: () => void openTask(task.id),
            },
            h("span", { class: "task-row-title" }, task.title),
            h("span", { class: "task-state", "data-state": task.state }, stateLabel(task.state)),
            h("small", { class: "task-route" }, `${task.from_region.name} → ${target(task)}`),
            h(
              "small",
              { class: "task-due" },
              t("tasks.due", { time: time(task.due_at, true) }),
              task.overdue ? h("b", { class: "overdue" }, ` ${t("tasks.overdue")}`) : null,
            ),
          ),
        ),
      ),
    );
  };

  let listRequest = 0;
  const loadList = async (state: State | null = filter) => {
    const request = ++listRequest;
    filter = state;
    listState = "loading";
    renderList();
    const query = new URLSearchParams({ limit: String(LIST_LIMIT) });
    if (state) query.set("state", state);
    try {
      const answer = await getJSON<{ tasks: Task[] }>(`/app/tasks?${query}`);
      if (request !== listRequest) return; // asked again meanwhile (another filter, a step taken)
      list = answer.tasks;
      listState = "ready";
    } catch (error) {
      if (request !== listRequest) return;
      listState = "failed";
      listError = (error as Error).message;
    }
    renderList();
  };

  // --- one task --------------------------------------------------------------------------------------
  const take = async (step: string, body: Record<string, unknown>) => {
    if (!selected) return;
    busy = true;
    renderDetail();
    try {
      selected = await postJSON<Task>(`/app/tasks/${selected.id}/${step}`, body);
      open = null;
      stepForm = null;
      detailError = null;
      void loadList();
    } catch (error) {
      detailError = t("handling.failed", { error: explain(error, { text: t("tasks.report"), comment: t("tasks.comment") }) });
    }
    busy = false;
    renderDetail();
  };

  /** The form of ``step`` (report, close) on the selected task: the one already shown, with what was typed. */
  const formOf = (task: Task, step: string): HTMLFormElement => {
    const previous = stepForm?.step === step && stepForm.task === task.id ? stepForm : null;
    if (!previous || previous.stale) {
      const field = step === "report" ? area("text", 5) : area("comment", 3);
      const key: Key = step === "report" ? "tasks.report" : "tasks.comment-optional";
      const { element, submit } = stepFormElement(
        step,
        [labelled(key, field)],
        () => void take(step, step === "report" ? { text: field.value } : { comment: field.value }),
        () => ((open = null), renderDetail()),
        `tasks.do.${step}` as Key,
      );
      keepValues(previous?.element ?? null, element);
      stepForm = { step, task: task.id, element, submit, stale: false };
    }
    stepForm!.submit.disabled = busy;
    return stepForm!.element;
  };

  const taskDetail = (task: Task): HTMLElement => {
    const fact = (key: Key, ...value: Array<Node | string | null>) => [h("dt", {}, t(key)), h("dd", {}, ...value)];
    const buttons = stepButtons(
      task.steps,
      (step) => t(`tasks.do.${step}` as Key),
      (step) => {
        if (step === "acknowledge") return void take(step, {});
        open = open === step ? null : step;
        renderDetail();
      },
      open,
      busy,
    );
    const form = open && open !== "acknowledge" && task.steps.includes(open) ? formOf(task, open) : null;
    if (!form) stepForm = null;
    const text = (className: string, heading: Key, value: string) =>
      value ? h("section", {}, h("h3", {}, t(heading)), h("p", { class: `task-text ${className}` }, value)) : null;
    return h(
      "article",
      { class: "task", "data-task": task.id, "data-state": task.state },
      h(
        "header",
        {},
        h("small", {}, t("tasks.number", { id: task.id })),
        h("h2", {}, task.title),
        h("span", { class: "task-state", "data-state": task.state }, stateLabel(task.state)),
        task.overdue ? h("b", { class: "overdue" }, t("tasks.overdue")) : null,
      ),
      h(
        "dl",
        { class: "facts" },
        ...fact("tasks.from", t("tasks.issuer", { region: task.from_region.name, user: task.issued_by })),
        ...fact("tasks.to", target(task)),
        ...fact("tasks.due-at", h("time", { datetime: task.due_at }, time(task.due_at, true))),
        ...(task.alarm ? fact("tasks.alarm", `#${task.alarm}`) : []),
        ...(task.hazard_source ? fact("tasks.hazard-source", `#${task.hazard_source}`) : []),
      ),
      text("task-body", "tasks.text", task.text),
      h("section", {}, h("h3", {}, t("tasks.progress")), timeline(entries(task), "task-timeline")),
      text("task-report", "tasks.report", task.report),
      text("task-comment", "tasks.comment", task.comment),
      task.steps.length ? buttons : null,
      form,
      detailError ? h("p", { class: "error", role: "alert" }, detailError) : null,
    );
  };

  const renderDetail = () => {
    if (issuing) {
      replace(detail, issueSection());
    } else if (selected && selected.id === selectedId) {
      replace(detail, taskDetail(selected));
    } else if (selectedId !== null) {
      replace(detail, h("p", { class: detailError ? "error" : "muted", role: detailError ? "alert" : null }, detailError ?? t("tasks.loading")));
    } else {
      replace(detail, h("p", { class: "muted task-pick" }, t(canIssue ? "tasks.pick-or-issue" : "tasks.pick")));
    }
    renderList(); // the row marked as the one open
  };

  /** Show task ``id`` (read again from the server), and put it in the address (``push``: as a new history entry). */
  const openTask = async (id: number, push = true) => {
    if (push && new URLSearchParams(location.search).get("task") !== String(id)) {
      history.pushState({ task: id }, "", `/tasks?task=${id}`);
    }
    issuing = false;
    if (selectedId !== id) {
      open = null;
      stepForm = null;
    }
    selectedId = id;
    detailError = null;
    if (selected?.id !== id) selected = null;
    renderDetail();
    try {
      const task = await getJSON<Task>(`/app/tasks/${id}`);
      if (selectedId !== id) return;
      selected = task;
    } catch (error) {
      if (selectedId !== id) return;
      selected = null;
      detailError = t("tasks.failed", { error: (error as Error).message });
    }
    renderDetail();
  };

  // --- issuing a task ----------------------------------------------------------------------------------
  const startIssue = () => {
    issuing = true;
    issueError = null;
    renderDetail();
  };

  const issue = async (form: HTMLFormElement) => {
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    const due = beijingISO(value("due_at"));
    const [kind, id] = value("target").split(":");
    issueError = !due ? t("tasks.issue.no-due") : !id ? t("tasks.issue.no-target") : null;
    if (issueError) return renderDetail();
    busy = true;
    renderDetail();
    try {
      const task = await postJSON<Task>("/app/tasks", {
        title: value("title"),
        text: value("text"),
        due_at: due,
        ...(kind === "enterprise" ? { enterprise: Number(id) } : { region: id }),
      });
      issueForm = null;
      selected = task;
      busy = false;
      void loadList(null); // the new task is "issued": show every state so that it is in the list
      await openTask(task.id);
      return;
    } catch (error) {
      const fields = { title: t("tasks.issue.title"), text: t("tasks.issue.text"), due_at: t("tasks.issue.due") };
      issueError = t("tasks.issue.failed", {
        error: explain(error, { ...fields, enterprise: t("tasks.issue.target"), region: t("tasks.issue.target") }),
      });
    }
    busy = false;
    renderDetail();
  };

  const buildIssueForm = (found: Targets): HTMLFormElement => {
    const choices = (key: Key, rows: Item[], value: (item: Item) => string) =>
      rows.length ? h("optgroup", { label: t(key) }, ...rows.map((item) => h("option", { value: value(item) }, names(item)))) : null;
    const select = h(
      "select",
      { name: "target", required: true },
      h("option", { value: "" }, t("tasks.issue.choose")),
      choices("tasks.issue.enterprises", found.enterprises, (item) => `enterprise:${item.id}`),
      choices("tasks.issue.regions", found.regions, (item) => `region:${String(item.properties.code)}`),
    );
    const { element } = stepFormElement(
      "issue",
      [
        labelled("tasks.issue.title", h("input", { type: "text", name: "title", maxlength: 200 })),
        labelled("tasks.issue.text", area("text", 5)),
        labelled("tasks.issue.due", h("input", { type: "datetime-local", name: "due_at", value: beijingLocal(7, 17), min: beijingLocal(0) })),
        labelled("tasks.issue.target", select),
      ],
      () => void issue(element),
      () => ((issuing = false), renderDetail()),
      "tasks.issue.submit",
    );
    element.classList.add("task-issue-form");
    element.noValidate = true; // the server's messages (or ours) say what is missing, in the page's words
    keepValues(issueForm, element);
    return element;
  };

  const issueSection = (): HTMLElement => {
    let body: HTMLElement;
    if (targetsError) body = h("p", { class: "error", role: "alert" }, t("card.failed", { error: targetsError }));
    else if (!targets) body = h("p", { class: "muted" }, t("tasks.issue.loading"));
    else if (!targets.enterprises.length && !targets.regions.length) body = h("p", { class: "muted" }, t("tasks.issue.none"));
    else {
      issueForm ??= buildIssueForm(targets);
      for (const button of Array.from(issueForm.querySelectorAll("button"))) button.disabled = busy;
      body = issueForm;
    }
    return h(
      "article",
      { class: "task task-issue" },
      h("header", {}, h("small", {}, t("tasks.issue.from", { region: region ? placeName(region) : "" })), h("h2", {}, t("tasks.issue.heading"))),
      body,
      issueError ? h("p", { class: "error", role: "alert" }, issueError) : null,
    );
  };

  const loadTargetsOnce = async () => {
    if (!canIssue || !region) return;
    try {
      targets = await loadTargets(region.code);
    } catch (error) {
      targetsError = (error as Error).message;
    }
    if (issuing) renderDetail();
  };

  // --- the address, the language, a reload -----------------------------------------------------------------
  const fromAddress = async () => {
    const id = Number(new URLSearchParams(location.search).get("task"));
    if (Number.isInteger(id) && id > 0) return openTask(id, false);
    selectedId = null;
    selected = null;
    issuing = false;
    renderDetail();
  };
  window.addEventListener("popstate", () => void fromAddress());

  const reload = async () => {
    await Promise.all([loadList(), selectedId !== null && !issuing ? openTask(selectedId, false) : null]);
  };

  onLangChange(() => {
    if (stepForm) stepForm.stale = true; // rebuilt in the new language, with what was typed
    if (issueForm && targets) issueForm = buildIssueForm(targets);
    renderDetail();
  });

  renderDetail();
  const ready = Promise.all([loadList(), fromAddress(), loadTargetsOnce()]).then(() => undefined);
  return { ready, tasks: () => list, current: () => selected, open: (id) => openTask(id) };
}
