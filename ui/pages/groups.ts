// Consumer groups: state with its reason, members, rebalances, lag per partition over time.
import { Row, column, get, series, view } from "../api";
import { TimeChart, sparkline } from "../chart";
import { badge, card, fill, h, stat, table } from "../dom";
import { duration, int, ms, num, rate, seconds, STATE_REASON } from "../format";
import { Page } from "../page";
import { Route, link, rangeOf, windowOf } from "../route";

export function groups(r: Route): Page {
  const body = h("div");
  const el = h("div", { class: "page" }, card("Consumer groups", body));
  return {
    el,
    async refresh() {
      const { range, step } = rangeOf(r);
      const [rows, s] = await Promise.all([view("groups", windowOf(r)), series("groups", range, step)]);
      rows.sort((a, b) => String(a.group).localeCompare(String(b.group)));
      fill(
        body,
        table<Row>(
          rows,
          [
            { header: "Group", cell: (g) => h("a", { href: link("groups", String(g.group)) }, String(g.group)) },
            { header: "State", cell: (g) => badge(g.state) },
            { header: "Members", cell: (g) => num(g.members), num: true },
            { header: "Rebalances", cell: (g) => num(g.rebalances), num: true },
            { header: "Committed", cell: (g) => rate(g.committedPerSec), num: true },
            {
              header: "Lag",
              cell: (g) =>
                h(
                  "span",
                  { class: "with-spark" },
                  sparkline(s.rows.find((x) => x.key === g.group)?.cols.lagRecords ?? []),
                  num(g.lagRecords),
                ),
              num: true,
            },
            { header: "Lag time", cell: (g) => duration(g.lagSeconds), num: true },
            { header: "Topics", cell: (g) => (Array.isArray(g.topics) ? g.topics.join(", ") : "-") },
          ],
          "no consumer group seen in this window",
        ),
      );
    },
  };
}

interface GroupPage {
  group: Row | null;
  members: Row[];
  partitions: Row[];
  delivery: Row[];
}

export function group(r: Route): Page {
  const name = r.name ?? "";
  const state = h("div", { class: "state-line" });
  const head = h("div", { class: "stats" });
  const charts = {
    lag: new TimeChart("Lag (records) per partition", (v) => num(v)),
    lagSec: new TimeChart("Lag (seconds) per partition", seconds),
    rebalances: new TimeChart("Rebalances", (v) => num(v)),
    committed: new TimeChart("Committed records/s", (v) => num(v)),
  };
  const members = h("div"),
    parts = h("div"),
    delivery = h("div");
  const el = h(
    "div",
    { class: "page" },
    h("h1", {}, h("span", { class: "kind" }, "group "), name),
    state,
    head,
    h("div", { class: "grid2" }, charts.lag.el, charts.lagSec.el, charts.rebalances.el, charts.committed.el),
    h("div", { class: "grid2" }, card("Members (client ids)", members), card("Delivery latency", delivery)),
    card("Partitions", parts),
  );
  return {
    el,
    async refresh() {
      const w = windowOf(r),
        { range, step } = rangeOf(r);
      const [p, sp, sg] = await Promise.all([
        get<GroupPage>("/api/group", { name, window: w }),
        series("partitions", range, step, { group: name }),
        series("groups", range, step, { group: name }),
      ]);
      const g = p.group ?? {};
      const st = typeof g.state === "string" ? g.state : "-";
      fill(state, badge(st), " ", h("span", { class: "reason" }, STATE_REASON[st] ?? "no lag seen for this group yet"));
      fill(
        head,
        stat("lag (records)", int(g.lagRecords)),
        stat("oldest uncommitted", duration(g.lagSeconds)),
        stat("members", num(g.members)),
        stat("rebalances", num(g.rebalances)),
        stat("committed", rate(g.committedPerSec)),
        stat("fetch", rate(g.fetchedRecordsPerSec)),
      );
      const label = (lines: ReturnType<typeof column>) => lines.map((l) => ({ ...l, label: l.label.split("/").slice(1).join("/") }));
      charts.lag.set(sp.t, label(column(sp, "lagRecords")));
      charts.lagSec.set(sp.t, label(column(sp, "lagSeconds")));
      charts.rebalances.set(sg.t, column(sg, "rebalances"));
      charts.committed.set(sg.t, column(sg, "committedPerSec"));
      fill(
        members,
        table<Row>(
          p.members,
          [
            { header: "Client id", cell: (x) => h("a", { href: link("clients", String(x.client_id)) }, String(x.client_id) || "(none)") },
            { header: "Fetch", cell: (x) => rate(x.fetchedRecordsPerSec), num: true },
            { header: "Requests", cell: (x) => rate(x.requestsPerSec), num: true },
            { header: "p99", cell: (x) => ms(x.p99Ms), num: true },
          ],
          "no member fetched in this window",
        ),
      );
      fill(
        delivery,
        table<Row>(
          p.delivery,
          [
            { header: "Topic", cell: (x) => h("a", { href: link("topics", String(x.topic)) }, String(x.topic)) },
            { header: "p50", cell: (x) => ms(x.p50Ms), num: true },
            { header: "p99", cell: (x) => ms(x.p99Ms), num: true },
          ],
          "no delivery latency exported (kscope_delivery_latency_milliseconds)",
        ),
      );
      fill(
        parts,
        table<Row>(
          p.partitions,
          [
            { header: "Topic", cell: (x) => h("a", { href: link("topics", String(x.topic)) }, String(x.topic)) },
            { header: "Partition", cell: (x) => String(x.partition), num: true },
            { header: "Committed", cell: (x) => int(x.committed), num: true },
            { header: "Lag", cell: (x) => int(x.lagRecords), num: true },
            { header: "Lag time", cell: (x) => duration(x.lagSeconds), num: true },
          ],
          "no committed offsets seen",
        ),
      );
    },
    destroy() {
      Object.values(charts).forEach((c) => c.destroy());
    },
  };
}
