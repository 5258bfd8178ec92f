// Overview: requests, errors and latency per API over time, produce and fetch throughput, and
// the topics and groups that need attention first.
import { column, series, view, Row } from "../api";
import { TimeChart } from "../chart";
import { badge, card, fill, h } from "../dom";
import { duration, ms, num, rate, STATE_REASON } from "../format";
import { Page } from "../page";
import { Route, link, rangeOf, windowOf } from "../route";

export function overview(r: Route): Page {
  const charts = {
    rps: new TimeChart("Requests/s by API", (v) => num(v)),
    err: new TimeChart("Errors/s by API", (v) => num(v)),
    p99: new TimeChart("p99 latency by API", (v) => ms(v)),
    produced: new TimeChart("Produced records/s by topic", (v) => num(v)),
    fetched: new TimeChart("Fetched records/s by topic", (v) => num(v)),
  };
  const attention = h("div");
  const el = h(
    "div",
    { class: "page" },
    card("Needs attention", attention),
    h("div", { class: "grid2" }, charts.rps.el, charts.err.el, charts.p99.el, charts.produced.el, charts.fetched.el),
  );
  return {
    el,
    async refresh() {
      const w = windowOf(r),
        { range, step } = rangeOf(r);
      const [apis, topics, groups, topicRows] = await Promise.all([
        series("apis", range, step),
        series("topics", range, step),
        view("groups", w),
        view("topics", w),
      ]);
      charts.rps.set(apis.t, column(apis, "requestsPerSec"));
      charts.err.set(apis.t, column(apis, "errorsPerSec"));
      charts.p99.set(apis.t, column(apis, "p99Ms"));
      charts.produced.set(topics.t, column(topics, "producedRecordsPerSec"));
      charts.fetched.set(topics.t, column(topics, "fetchedRecordsPerSec"));
      const rank: Record<string, number> = { STOPPED: 0, STALLED: 1, LAGGING: 2 };
      const bad = groups
        .filter((g) => typeof g.state === "string" && g.state !== "OK")
        .sort(
          (a, b) =>
            (rank[a.state as string] ?? 3) - (rank[b.state as string] ?? 3) ||
            ((b.lagSeconds as number) ?? 0) - ((a.lagSeconds as number) ?? 0),
        );
      const erring = topicRows.filter((t) => ((t.errorsPerSec as number) ?? 0) > 0);
      const items: HTMLElement[] = [
        ...bad.map((g: Row) =>
          h(
            "li",
            {},
            badge(g.state),
            " group ",
            h("a", { href: link("groups", String(g.group)) }, String(g.group)),
            ` lag ${num(g.lagRecords)} records, oldest ${duration(g.lagSeconds)}: `,
            h("span", { class: "muted" }, STATE_REASON[g.state as string] ?? ""),
          ),
        ),
        ...erring.map((t: Row) =>
          h(
            "li",
            {},
            h("span", { class: "badge state-stalled" }, "ERRORS"),
            " topic ",
            h("a", { href: link("topics", String(t.topic)) }, String(t.topic)),
            ` ${rate(t.errorsPerSec)} errors`,
          ),
        ),
      ];
      fill(
        attention,
        items.length
          ? h("ul", { class: "attention" }, ...items)
          : h("p", { class: "empty ok" }, `all ${groups.length} groups OK, no topic errors in the last ${w}s`),
      );
    },
    destroy() {
      Object.values(charts).forEach((c) => c.destroy());
    },
  };
}
