// Tap and Top in the browser: the live decoded request stream (filterable, pausable; names,
// counts and sizes only, never payloads) and the busiest flows, as `kscope tap` and `kscope top`.
import { Flow, get } from "../api";
import { card, fill, h, table } from "../dom";
import { bytes, ms, percent, rate } from "../format";
import { Page } from "../page";
import { Route, link, windowOf } from "../route";
import { TapEvent, openTap } from "../tap";
import { TapFlow, TapTally, joinTapFlows } from "../../host/cli/top";

const FILTERS = ["topic", "group", "client", "api"] as const;
const MAX_LINES = 300;

function filterOf(r: Route): Record<string, string> {
  return Object.fromEntries(FILTERS.map((k): [string, string] => [k, r.params.get(k) ?? ""]).filter(([, v]) => v));
}

function filterForm(r: Route, page: string): HTMLElement {
  const inputs = FILTERS.map((k) => h("input", { name: k, placeholder: k, value: r.params.get(k) ?? "", size: 14 }));
  return h(
    "form",
    {
      class: "filters",
      onsubmit: (e: Event) => {
        e.preventDefault();
        location.hash = link(page, undefined, Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()])));
      },
    },
    ...inputs,
    h("button", { type: "submit" }, "Apply"),
  );
}

/** One event as a line of text, like `kscope tap`. */
export function tapLine(e: TapEvent): string {
  const parts = [new Date(e.ts).toISOString().slice(11, 23), e.ev, `client=${e.client}`, `api=${e.api}/v${e.version}`];
  if (e.group) parts.push(`group=${e.group}`);
  if (e.topics.length) parts.push(`topics=${e.topics.join(",")}`);
  if (e.src) parts.push(`src=${e.src}`);
  if (e.records) parts.push(`records=${e.records}`);
  parts.push(`bytes=${bytes(e.bytes)}`);
  if (e.ev === "rsp") {
    parts.push(`error=${e.error ?? "NONE"}`);
    if (e.latencyUs !== undefined) parts.push(`latency=${ms(e.latencyUs / 1000)}`);
  }
  return parts.join(" ");
}

export function tap(r: Route): Page {
  const lines = h("ol", { class: "tap-lines" });
  const status = h("span", { class: "muted" }, "connecting…");
  let paused = false,
    held = 0;
  const pause = h(
    "button",
    {
      type: "button",
      onclick: () => {
        paused = !paused;
        pause.textContent = paused ? "Resume" : "Pause";
        if (!paused) held = 0;
      },
    },
    "Pause",
  );
  const counter = h("span", { class: "muted" });
  const stop = openTap(
    filterOf(r),
    (e) => {
      if (paused) {
        held++;
        counter.textContent = ` ${held} events held back while paused`;
        return;
      }
      counter.textContent = "";
      lines.prepend(h("li", { class: `ev-${e.ev}${e.error && e.error !== "NONE" ? " ev-error" : ""}` }, tapLine(e)));
      while (lines.childElementCount > MAX_LINES) lines.lastElementChild!.remove();
    },
    (s) => {
      status.textContent = s;
    },
  );
  const el = h(
    "div",
    { class: "page" },
    card(
      "Tap",
      h("div", { class: "toolbar" }, filterForm(r, "tap"), pause, status, counter),
      h(
        "p",
        { class: "muted" },
        "Decoded requests and responses: names, counts and sizes, never record payloads or SASL secrets. Newest first.",
      ),
      lines,
    ),
  );
  return { el, refresh: () => Promise.resolve(), destroy: stop };
}

export function top(r: Route): Page {
  const f = filterOf(r);
  const tally = new TapTally(f.topic);
  const seconds = Math.min(windowOf(r), 60);
  const status = h("span", { class: "muted" }, "connecting…");
  const stop = openTap(
    f,
    (e) => tally.add(e, Date.now()),
    (s) => {
      status.textContent = s;
    },
  );
  const body = h("div");
  const started = Date.now();
  const el = h(
    "div",
    { class: "page" },
    card(
      "Top flows",
      h("div", { class: "toolbar" }, filterForm(r, "top"), status),
      h("p", { class: "muted" }, `COUNT, BEST, WORST, LAST, SUCCESS: tapped responses over the last ${seconds}s · RECORDS, BYTES: metrics`),
      body,
    ),
  );
  return {
    el,
    async refresh() {
      const flows = await get<Flow[]>("/api/top", { window: seconds, ...f });
      const rows = joinTapFlows(tally.rows(Date.now(), Math.min(seconds, (Date.now() - started) / 1000 + 1)), flows, f);
      fill(
        body,
        table<TapFlow>(
          rows,
          [
            { header: "Client", cell: (x) => h("a", { href: link("clients", x.client) }, x.client || "(none)") },
            { header: "API", cell: (x) => x.api },
            { header: "Topic", cell: (x) => (x.topic ? h("a", { href: link("topics", x.topic) }, x.topic) : "-") },
            { header: "Group", cell: (x) => (x.group ? h("a", { href: link("groups", x.group) }, x.group) : "-") },
            { header: "Count", cell: (x) => String(x.count), num: true },
            { header: "Best", cell: (x) => ms(x.bestMs), num: true },
            { header: "Worst", cell: (x) => ms(x.worstMs), num: true },
            { header: "Last", cell: (x) => ms(x.lastMs), num: true },
            { header: "Success", cell: (x) => percent(x.successRate), num: true },
            { header: "Records", cell: (x) => rate(x.recordsPerSec), num: true },
            { header: "Bytes", cell: (x) => bytes(x.bytesPerSec, "/s"), num: true },
          ],
          "no flow in this window",
        ),
      );
    },
    destroy: stop,
  };
}
