// Clients: what each client id produces and consumes, its request latency and errors.
import { Row, TopologyGraph, columns, get, series, view } from "../api";
import { workloadRows } from "./workload";
import { TimeChart } from "../chart";
import { card, fill, h, stat, table } from "../dom";
import { bytes, ms, num, percent, rate } from "../format";
import { Page } from "../page";
import { Route, link, rangeOf, windowOf } from "../route";

const names = (v: unknown, page: string) =>
  Array.isArray(v) && v.length
    ? h("span", {}, ...v.flatMap((x, i) => [i ? ", " : "", h("a", { href: link(page, String(x)) }, String(x))]))
    : "-";

export function clients(r: Route): Page {
  const body = h("div"),
    workloads = h("div");
  const el = h("div", { class: "page" }, card("Workloads", workloads), card("Client ids", body));
  return {
    el,
    async refresh() {
      const [rows, graph] = await Promise.all([view("clients", windowOf(r)), get<TopologyGraph>("/api/topology", { window: windowOf(r) })]);
      fill(workloads, workloadRows(graph));
      rows.sort((a, b) => String(a.client_id).localeCompare(String(b.client_id)));
      fill(
        body,
        table<Row>(
          rows,
          [
            { header: "Client id", cell: (c) => h("a", { href: link("clients", String(c.client_id)) }, String(c.client_id) || "(none)") },
            { header: "Requests", cell: (c) => rate(c.requestsPerSec), num: true },
            { header: "Success", cell: (c) => percent(c.successRate), num: true },
            { header: "p50", cell: (c) => ms(c.p50Ms), num: true },
            { header: "p99", cell: (c) => ms(c.p99Ms), num: true },
            { header: "Produce", cell: (c) => rate(c.producedRecordsPerSec), num: true },
            { header: "Fetch", cell: (c) => rate(c.fetchedRecordsPerSec), num: true },
            { header: "Topics", cell: (c) => names(c.topics, "topics") },
            { header: "Groups", cell: (c) => names(c.groups, "groups") },
          ],
          "no client produced or fetched in this window",
        ),
      );
    },
  };
}

interface ClientPage {
  client: Row | null;
  apis: Row[];
}

export function client(r: Route): Page {
  const name = r.name ?? "";
  const head = h("div", { class: "stats" });
  const chart = new TimeChart("Records/s", (v) => num(v));
  const latency = new TimeChart("Request latency", (v) => ms(v));
  const apis = h("div"),
    links = h("div");
  const el = h(
    "div",
    { class: "page" },
    h("h1", {}, h("span", { class: "kind" }, "client "), name),
    head,
    h("div", { class: "grid2" }, chart.el, latency.el),
    h("div", { class: "grid2" }, card("Requests by API", apis), card("Topics and groups", links)),
  );
  return {
    el,
    async refresh() {
      const w = windowOf(r),
        { range, step } = rangeOf(r);
      const [p, s] = await Promise.all([
        get<ClientPage>("/api/client", { name, window: w }),
        series("clients", range, step, { client: name }),
      ]);
      const c = p.client ?? {};
      fill(
        head,
        stat("requests", rate(c.requestsPerSec)),
        stat("success", percent(c.successRate), typeof c.successRate === "number" && c.successRate < 0.99 ? "bad" : ""),
        stat("p50", ms(c.p50Ms)),
        stat("p99", ms(c.p99Ms)),
        stat("produce", rate(c.producedRecordsPerSec)),
        stat("produce bytes", bytes(c.producedBytesPerSec, "/s")),
        stat("fetch", rate(c.fetchedRecordsPerSec)),
      );
      chart.set(s.t, columns(s, { produced: "producedRecordsPerSec", fetched: "fetchedRecordsPerSec" }));
      latency.set(s.t, columns(s, { p50: "p50Ms", p99: "p99Ms" }));
      fill(
        apis,
        table<Row>(
          p.apis,
          [
            { header: "API", cell: (x) => String(x.api) },
            { header: "Requests", cell: (x) => rate(x.requestsPerSec), num: true },
            { header: "With errors", cell: (x) => rate(x.errorsPerSec), num: true },
          ],
          "no request in this window",
        ),
      );
      fill(links, h("p", {}, "Topics: ", names(c.topics, "topics")), h("p", {}, "Groups: ", names(c.groups, "groups")));
    },
    destroy() {
      chart.destroy();
      latency.destroy();
    },
  };
}
