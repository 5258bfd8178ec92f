// Ways to print a topology graph: paths for the terminal (one line per path, numbers on each
// hop), an edge table (`kscope edges`), Graphviz DOT and Mermaid for documents.
import * as fmt from "../cli/format";
import { Colours } from "../cli/format";
import { EdgeStats, TopologyEdge, TopologyGraph, TopologyNode } from "./graph";

/** More paths than this are cut (a hairball is not readable as paths anyway). */
const MAX_PATHS = 200;

/** Workloads print as `name`, or `namespace/name` when the graph spans several namespaces. */
function labeller(g: TopologyGraph): (n: TopologyNode) => string {
  const spaces = new Set(g.nodes.filter((n) => n.kind === "workload").map((n) => n.namespace ?? ""));
  return (n) => (n.kind === "workload" && spaces.size > 1 && n.namespace ? `${n.namespace}/${n.name}` : n.name);
}

/** The numbers of one hop, short: "12/s 0% p99 4.8ms". */
export function hopText(e: TopologyEdge): string {
  const s: EdgeStats = e.stats;
  const parts: string[] = [];
  const err = (v?: number) => (v !== undefined ? `${v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)}% err` : "");
  switch (e.kind) {
    case "http":
      parts.push(`${fmt.num(s.rps)} req/s`, err(s.errorPct), s.p99Ms !== undefined ? `p99 ${fmt.ms(s.p99Ms)}` : "");
      break;
    case "produce":
      parts.push(
        `${fmt.num(s.recordsPerSec)} rec/s`,
        fmt.bytes(s.bytesPerSec, "/s"),
        s.errorPct ? err(s.errorPct) : "",
        s.p99Ms !== undefined ? `p99 ${fmt.ms(s.p99Ms)}` : "",
      );
      break;
    case "consume":
      parts.push(
        `${fmt.num(s.recordsPerSec)} rec/s`,
        s.lagRecords !== undefined ? `lag ${fmt.num(s.lagRecords)}${s.lagSeconds ? ` (${fmt.duration(s.lagSeconds)})` : ""}` : "",
        s.deliveryP99Ms !== undefined ? `delivery p50 ${fmt.ms(s.deliveryP50Ms)} p99 ${fmt.ms(s.deliveryP99Ms)}` : "",
      );
      break;
    case "member":
      parts.push(`${fmt.num(s.recordsPerSec)} rec/s`);
      break;
  }
  return parts.filter(Boolean).join(" ");
}

/** Every maximal path (start where nothing leads in; never revisit a node on one path). */
export function paths(g: TopologyGraph): TopologyEdge[][] {
  const out = new Map<string, TopologyEdge[]>();
  for (const n of g.nodes) out.set(n.id, []);
  const hasIn = new Set<string>();
  for (const e of g.edges) {
    out.get(e.from)?.push(e);
    hasIn.add(e.to);
  }
  const result: TopologyEdge[][] = [];
  const covered = new Set<string>();
  const walk = (at: string, path: TopologyEdge[], onPath: Set<string>) => {
    if (result.length >= MAX_PATHS) return;
    const next = (out.get(at) ?? []).filter((e) => !onPath.has(e.to));
    if (!next.length) {
      if (path.length) {
        result.push(path);
        path.forEach((e) => covered.add(e.id));
      }
      return;
    }
    for (const e of next) {
      onPath.add(e.to);
      walk(e.to, [...path, e], onPath);
      onPath.delete(e.to);
    }
  };
  for (const n of g.nodes) if (!hasIn.has(n.id)) walk(n.id, [], new Set([n.id]));
  // Cycles with no entry (a calls b, b calls a): start at the first node of an edge not yet shown.
  for (const e of g.edges) if (!covered.has(e.id) && result.length < MAX_PATHS) walk(e.from, [], new Set([e.from]));
  return result;
}

/** One line per path: `loadgen ─(12 req/s 0% err p99 4ms)→ web ─(…)→ [orders] ─(…)→ (billing) ─(…)→ payments`. */
export function renderPaths(g: TopologyGraph, c: Colours): string {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const label = labeller(g);
  const name = (n: TopologyNode): string => {
    if (n.kind === "topic") return c.cyan(`[${n.name}]`);
    if (n.kind === "group") return `(${n.name})${n.state && n.state !== "OK" ? " " + fmt.stateColour(n.state, c) : ""}`;
    if (n.kind === "unknown") return c.dim(n.name);
    return c.bold(label(n));
  };
  const lines = paths(g).map((p) => {
    let line = name(byId.get(p[0].from)!);
    for (const e of p) {
      const to = byId.get(e.to)!;
      // A group's member with the group's own name reads as one node: (billing) → payments.
      if (e.kind === "member" && to.name === byId.get(e.from)!.name) continue;
      line += ` ${c.dim(`─(${hopText(e)})→`)} ${name(to)}`;
    }
    return line;
  });
  return lines.join("\n");
}

export function legend(): string {
  return "[topic]  (consumer group)  workload;  hop numbers: http req/s, errors, p99 | produce rec/s, bytes/s, p99 | consume rec/s, lag, delivery latency | member rec/s";
}

/** `kscope edges`: one row per edge. */
export function renderEdges(g: TopologyGraph, c: Colours): string {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const label = labeller(g);
  const rows = [...g.edges].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.id.localeCompare(b.id));
  return fmt.table<TopologyEdge>(
    rows,
    [
      { header: "FROM", cell: (e) => label(byId.get(e.from)!) },
      { header: "", cell: () => "→" },
      { header: "TO", cell: (e) => label(byId.get(e.to)!) },
      { header: "KIND", cell: (e) => e.kind },
      {
        header: "RATE",
        cell: (e) => (e.kind === "http" ? `${fmt.num(e.stats.rps)} req/s` : `${fmt.num(e.stats.recordsPerSec)} rec/s`),
        align: "right",
      },
      {
        header: "BYTES",
        cell: (e) => (e.stats.bytesPerSec !== undefined && e.kind !== "member" ? fmt.bytes(e.stats.bytesPerSec, "/s") : "-"),
        align: "right",
      },
      { header: "ERRORS", cell: (e) => (e.stats.errorPct !== undefined ? `${e.stats.errorPct.toFixed(1)}%` : "-"), align: "right" },
      { header: "P99", cell: (e) => fmt.ms(e.kind === "consume" ? e.stats.deliveryP99Ms : e.stats.p99Ms), align: "right" },
      { header: "LAG", cell: (e) => (e.kind === "consume" ? fmt.num(e.stats.lagRecords) : "-"), align: "right" },
      { header: "STATE", cell: (e) => (e.kind === "consume" ? fmt.stateColour(e.stats.state, c) : "-") },
    ],
    { c },
  );
}
const KIND_ORDER = ["http", "produce", "consume", "member"];

const quoteDot = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

export function renderDot(g: TopologyGraph): string {
  const label = labeller(g);
  const shape: Record<string, string> = { workload: "box", topic: "cylinder", group: "ellipse", unknown: "plaintext" };
  const lines = ["digraph kscope {", "  rankdir=LR;"];
  for (const n of g.nodes)
    lines.push(
      `  ${quoteDot(n.id)} [label=${quoteDot(label(n) + (n.state && n.state !== "OK" ? `\n${n.state}` : ""))}, shape=${shape[n.kind]}];`,
    );
  for (const e of g.edges)
    lines.push(`  ${quoteDot(e.from)} -> ${quoteDot(e.to)} [label=${quoteDot(hopText(e))}${e.kind === "member" ? ", style=dashed" : ""}];`);
  lines.push("}");
  return lines.join("\n");
}

/** Mermaid flowchart; ids are made safe (n0, n1, …) and labels quoted. */
export function renderMermaid(g: TopologyGraph): string {
  const label = labeller(g);
  const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
  const q = (s: string) => `"${s.replace(/"/g, "#quot;")}"`;
  const shape = (n: TopologyNode) => {
    const t = q(label(n) + (n.state && n.state !== "OK" ? ` ${n.state}` : ""));
    return n.kind === "topic" ? `[(${t})]` : n.kind === "group" ? `([${t}])` : `[${t}]`;
  };
  const lines = ["flowchart LR"];
  for (const n of g.nodes) lines.push(`  ${ids.get(n.id)}${shape(n)}`);
  for (const e of g.edges) lines.push(`  ${ids.get(e.from)} ${e.kind === "member" ? "-.->" : "-->"}|${q(hopText(e))}| ${ids.get(e.to)}`);
  return lines.join("\n");
}
