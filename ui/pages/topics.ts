// Topics: a table with sparklines, and a topic's page (partitions, producers, groups, errors).
import { Row, columns, get, series, view } from "../api";
import { TimeChart, sparkline } from "../chart";
import { badge, card, fill, h, stat, table } from "../dom";
import { bytes, duration, int, ms, num, rate } from "../format";
import { Page } from "../page";
import { Route, link, rangeOf, windowOf } from "../route";

export function topics(r: Route): Page {
  const body = h("div");
  const el = h("div", { class: "page" }, card("Topics", body));
  return {
    el,
    async refresh() {
      const { range, step } = rangeOf(r);
      const [rows, s] = await Promise.all([view("topics", windowOf(r)), series("topics", range, step)]);
      const spark = (topic: string, col: string) => sparkline(s.rows.find((x) => x.key === topic)?.cols[col] ?? []);
      rows.sort((a, b) => String(a.topic).localeCompare(String(b.topic)));
      fill(
        body,
        table<Row>(rows, [
          { header: "Topic", cell: (t) => h("a", { href: link("topics", String(t.topic)) }, String(t.topic)) },
          {
            header: "Produce",
            cell: (t) => h("span", { class: "with-spark" }, spark(String(t.topic), "producedRecordsPerSec"), rate(t.producedRecordsPerSec)),
            num: true,
          },
          { header: "Produce bytes", cell: (t) => bytes(t.producedBytesPerSec, "/s"), num: true },
          {
            header: "Fetch",
            cell: (t) => h("span", { class: "with-spark" }, spark(String(t.topic), "fetchedRecordsPerSec"), rate(t.fetchedRecordsPerSec)),
            num: true,
          },
          { header: "Errors", cell: (t) => rate(t.errorsPerSec), num: true },
          { header: "Partitions", cell: (t) => num(t.partitions), num: true },
          { header: "Producers", cell: (t) => num(t.producers), num: true },
          { header: "Groups", cell: (t) => num(t.groups), num: true },
        ]),
      );
    },
  };
}

interface TopicPage {
  topic: Row | null;
  partitions: Row[];
  producers: Row[];
  consumers: Row[];
  groups: Row[];
  errors: Row[];
}

export function topic(r: Route): Page {
  const name = r.name ?? "";
  const head = h("div", { class: "stats" });
  const chart = new TimeChart("Records/s", (v) => num(v));
  const parts = h("div"),
    producers = h("div"),
    groups = h("div"),
    errors = h("div");
  const el = h(
    "div",
    { class: "page" },
    h("h1", {}, h("span", { class: "kind" }, "topic "), name),
    head,
    chart.el,
    h(
      "div",
      { class: "grid2" },
      card("Producers", producers),
      card("Consumer groups", groups),
      card("Partitions", parts),
      card("Errors", errors),
    ),
  );
  return {
    el,
    async refresh() {
      const w = windowOf(r),
        { range, step } = rangeOf(r);
      const [p, s] = await Promise.all([get<TopicPage>("/api/topic", { name, window: w }), series("topics", range, step, { topic: name })]);
      const t = p.topic ?? {};
      fill(
        head,
        stat("produce", rate(t.producedRecordsPerSec)),
        stat("produce bytes", bytes(t.producedBytesPerSec, "/s")),
        stat("fetch", rate(t.fetchedRecordsPerSec)),
        stat("errors", rate(t.errorsPerSec), ((t.errorsPerSec as number) ?? 0) > 0 ? "bad" : ""),
        stat("partitions", num(t.partitions)),
      );
      chart.set(s.t, columns(s, { produced: "producedRecordsPerSec", fetched: "fetchedRecordsPerSec" }));
      fill(
        parts,
        table<Row>(
          p.partitions,
          [
            { header: "Partition", cell: (x) => String(x.partition), num: true },
            { header: "High watermark", cell: (x) => int(x.highWatermark), num: true, title: "highest high watermark seen on the wire" },
            { header: "Leader", cell: (x) => (typeof x.leader === "number" ? String(x.leader) : "-"), num: true },
          ],
          "no metadata or fetch seen for this topic yet",
        ),
      );
      fill(
        producers,
        table<Row>(
          p.producers,
          [
            { header: "Client id", cell: (x) => h("a", { href: link("clients", String(x.client_id)) }, String(x.client_id) || "(none)") },
            { header: "Records", cell: (x) => rate(x.producedRecordsPerSec), num: true },
            { header: "Bytes", cell: (x) => bytes(x.producedBytesPerSec, "/s"), num: true },
            { header: "p99", cell: (x) => ms(x.p99Ms), num: true, title: "the client's request latency, all APIs" },
          ],
          "no producer in this window",
        ),
      );
      fill(
        groups,
        table<Row>(
          p.groups,
          [
            { header: "Group", cell: (x) => h("a", { href: link("groups", String(x.group)) }, String(x.group)) },
            { header: "State", cell: (x) => badge(x.state) },
            { header: "Lag", cell: (x) => num(x.lagRecords), num: true },
            { header: "Lag time", cell: (x) => duration(x.lagSecondsWorst), num: true },
            {
              header: "Delivery p50/p99",
              cell: (x) => (x.deliveryP50Ms === null ? "-" : `${ms(x.deliveryP50Ms)} / ${ms(x.deliveryP99Ms)}`),
              num: true,
            },
          ],
          "no group reads this topic",
        ),
      );
      fill(
        errors,
        table<Row>(
          p.errors,
          [
            { header: "API", cell: (x) => String(x.api) },
            { header: "Error", cell: (x) => String(x.error) },
            { header: "Rate", cell: (x) => rate(x.perSec), num: true },
          ],
          "no errors in this window",
        ),
      );
    },
    destroy() {
      chart.destroy();
    },
  };
}
