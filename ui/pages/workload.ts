// A workload's page: its neighbours in the topology (HTTP callers and callees, the topics it
// produces to, the groups it is a member of), with each hop's numbers. Workloads are named as
// the mesh names them (host/topology/build.ts), so HTTP and Kafka meet here.
import { TopologyGraph, get } from "../api";
import { card, fill, h, stat, table } from "../dom";
import { bytes, duration, int, ms, num, percent, rate } from "../format";
import { Page } from "../page";
import { Route, link, windowOf } from "../route";
import type { TopologyEdge, TopologyNode } from "../../host/topology/graph";

/** The page of a graph node: topics and groups have their own; workloads this one. */
export function pageOf(n: TopologyNode): string | undefined {
  if (n.kind === "topic") return link("topics", n.name);
  if (n.kind === "group") return link("groups", n.name);
  if (n.kind === "workload") return link("workloads", n.id.slice("workload:".length));
  return undefined;
}

export function workload(r: Route): Page {
  const id = `workload:${r.name ?? ""}`;
  const head = h("div", { class: "stats" });
  const httpIn = h("div"),
    httpOut = h("div"),
    kafka = h("div");
  const el = h(
    "div",
    { class: "page" },
    h("h1", {}, h("span", { class: "kind" }, "workload "), r.name ?? ""),
    head,
    h("div", { class: "grid2" }, card("HTTP callers", httpIn), card("HTTP callees", httpOut)),
    card("Kafka", kafka),
  );
  return {
    el,
    async refresh() {
      const g = await get<TopologyGraph>("/api/topology", { window: windowOf(r) });
      const name = (nid: string) => g.nodes.find((n) => n.id === nid);
      const other = (nid: string) => {
        const n = name(nid);
        if (!n) return nid;
        const href = pageOf(n);
        return href ? h("a", { href }, n.name) : n.name;
      };
      const edges = g.edges.filter((e) => e.from === id || e.to === id);
      const http = [
        { header: "Requests", cell: (e: TopologyEdge) => `${num(e.stats.rps)}/s`, num: true },
        {
          header: "Errors",
          cell: (e: TopologyEdge) => (e.stats.errorPct === undefined ? "-" : percent(e.stats.errorPct / 100)),
          num: true,
        },
        { header: "p50", cell: (e: TopologyEdge) => ms(e.stats.p50Ms), num: true },
        { header: "p99", cell: (e: TopologyEdge) => ms(e.stats.p99Ms), num: true },
      ];
      const inbound = edges.filter((e) => e.kind === "http" && e.to === id),
        outbound = edges.filter((e) => e.kind === "http" && e.from === id);
      const kafkaEdges = edges.filter((e) => e.kind === "produce" || e.kind === "member");
      fill(
        head,
        stat("HTTP callers", String(inbound.length)),
        stat("HTTP callees", String(outbound.length)),
        stat("topics produced to", String(kafkaEdges.filter((e) => e.kind === "produce").length)),
        stat("groups", String(kafkaEdges.filter((e) => e.kind === "member").length)),
      );
      fill(
        httpIn,
        table<TopologyEdge>(inbound, [{ header: "From", cell: (e) => other(e.from) }, ...http], "no HTTP caller in this window"),
      );
      fill(httpOut, table<TopologyEdge>(outbound, [{ header: "To", cell: (e) => other(e.to) }, ...http], "no HTTP callee in this window"));
      fill(
        kafka,
        table<TopologyEdge>(
          kafkaEdges,
          [
            {
              header: "Edge",
              cell: (e) => (e.kind === "produce" ? h("span", {}, "produces to ", other(e.to)) : h("span", {}, "member of ", other(e.from))),
            },
            { header: "Records", cell: (e) => rate(e.stats.recordsPerSec), num: true },
            { header: "Bytes", cell: (e) => bytes(e.stats.bytesPerSec, "/s"), num: true },
            { header: "Errors", cell: (e) => (e.stats.errorPct === undefined ? "-" : percent(e.stats.errorPct / 100)), num: true },
            { header: "p99", cell: (e) => ms(e.stats.p99Ms), num: true },
            {
              header: "Lag",
              cell: (e) => (e.stats.lagRecords === undefined ? "-" : `${int(e.stats.lagRecords)} · ${duration(e.stats.lagSeconds)}`),
              num: true,
            },
          ],
          "no Kafka traffic in this window",
        ),
      );
    },
  };
}

/** The workloads of the graph, for the Clients page. */
export function workloadRows(g: TopologyGraph): HTMLElement {
  const ws = g.nodes.filter((n) => n.kind === "workload").sort((a, b) => a.id.localeCompare(b.id));
  const count = (n: TopologyNode, kind: string, dir: "from" | "to") => g.edges.filter((e) => e.kind === kind && e[dir] === n.id).length;
  return table<TopologyNode>(
    ws,
    [
      { header: "Workload", cell: (n) => h("a", { href: pageOf(n) ?? "#" }, n.name) },
      { header: "Namespace", cell: (n) => n.namespace || "-" },
      { header: "Produces to", cell: (n) => String(count(n, "produce", "from")), num: true },
      { header: "Groups", cell: (n) => String(count(n, "member", "to")), num: true },
      { header: "HTTP callers", cell: (n) => String(count(n, "http", "to")), num: true },
      { header: "HTTP callees", cell: (n) => String(count(n, "http", "from")), num: true },
    ],
    "no named workload in this window (see Naming workloads in the README)",
  );
}
