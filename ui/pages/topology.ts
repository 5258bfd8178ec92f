// Topology: workloads, topics and groups laid out left to right (dagre, in cytoscape.js),
// edges as wide as their rate and coloured by errors and lag. A refresh updates numbers and
// colours in place; the layout runs again only when nodes or edges come or go.
import cytoscape from "cytoscape";
import dagre from "cytoscape-dagre";
import { TopologyGraph, get } from "../api";
import { card, fill, h, table } from "../dom";
import { bytes, duration, int, ms, num, percent, rate } from "../format";
import { Page } from "../page";
import { Route, link, windowOf } from "../route";
import type { TopologyEdge } from "../../host/topology/graph";
import { pageOf } from "./workload";

cytoscape.use(dagre);

const BAD_STATES = new Set(["LAGGING", "STALLED", "STOPPED"]);

function edgeColour(e: TopologyEdge): string {
  if ((e.stats.errorPct ?? 0) > 0) return "#e15759";
  if (e.stats.state === "STOPPED" || e.stats.state === "STALLED") return "#e15759";
  if (e.stats.state === "LAGGING") return "#f28e2b";
  return e.kind === "member" ? "#9aa5b1" : "#4e79a7";
}

function edgeWidth(e: TopologyEdge): number {
  const r = e.stats.recordsPerSec ?? e.stats.rps ?? 0;
  return e.kind === "member" ? 1 : Math.min(10, 1.5 + Math.log10(1 + r) * 2.5);
}

function edgeLabel(e: TopologyEdge): string {
  const s = e.stats;
  if (e.kind === "http") return `${num(s.rps)} rps${s.errorPct ? ` ${num(s.errorPct)}% err` : ""}`;
  if (e.kind === "produce") return rate(s.recordsPerSec);
  if (e.kind === "consume") return `${rate(s.recordsPerSec)}${s.lagRecords ? ` lag ${num(s.lagRecords)}` : ""}`;
  return "";
}

export function topology(r: Route): Page {
  const box = h("div", { class: "graph", "data-testid": "graph" });
  // The nodes as a list too: for keyboard and screen-reader users, and for tests to find a node on the canvas.
  const list = h("ul", { class: "node-list", "aria-label": "nodes" });
  const details = h("aside", { class: "details" }, h("p", { class: "muted" }, "Click a node for its numbers."));
  const nsSel = h("select", { name: "namespace", onchange: () => apply() }, h("option", { value: "" }, "all namespaces"));
  const wlInput = h("input", {
    name: "workload",
    placeholder: "workload, topic or group",
    value: r.params.get("workload") ?? "",
    oninput: () => apply(),
  });
  const el = h(
    "div",
    { class: "page" },
    card(
      "Topology",
      h(
        "div",
        { class: "toolbar" },
        nsSel,
        wlInput,
        h(
          "span",
          { class: "legend" },
          h("i", { class: "sw ok" }),
          "ok ",
          h("i", { class: "sw lag" }),
          "lagging ",
          h("i", { class: "sw bad" }),
          "errors, stalled or stopped",
        ),
      ),
      h("div", { class: "graph-wrap" }, box, details),
      list,
    ),
  );
  let graph: TopologyGraph | undefined;
  let selected: string | undefined;
  // Created on the first refresh, when the container is in the document and has a size.
  // cytoscape reads colours from its own style, not CSS variables: resolve the theme's here.
  const css = (v: string) => getComputedStyle(document.documentElement).getPropertyValue(v).trim();
  const sheet = (): cytoscape.StylesheetJson => [
    {
      selector: "node",
      style: {
        label: "data(label)",
        "font-size": 11,
        color: css("--fg"),
        "text-valign": "bottom",
        "text-margin-y": 4,
        width: 26,
        height: 26,
        "background-color": "#4e79a7",
        "text-wrap": "ellipsis",
        "text-max-width": "140px",
      },
    },
    { selector: "node[kind = 'topic']", style: { shape: "round-rectangle", "background-color": "#59a14f", width: 34, height: 20 } },
    { selector: "node[kind = 'group']", style: { shape: "hexagon", "background-color": "#b07aa1" } },
    { selector: "node[kind = 'unknown']", style: { "background-color": "#9aa5b1" } },
    { selector: "node[bad = 1]", style: { "border-width": 3, "border-color": "#e15759" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#edc948" } },
    {
      selector: "edge",
      style: {
        width: "data(width)",
        "line-color": "data(colour)",
        "target-arrow-color": "data(colour)",
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
        label: "data(label)",
        "font-size": 9,
        color: css("--muted"),
        "text-background-color": css("--bg"),
        "text-background-opacity": 0.8,
        "text-background-padding": "1px",
      },
    },
    { selector: "edge[kind = 'member']", style: { "line-style": "dashed" } },
  ];
  const create = () => cytoscape({ container: box, wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3, style: sheet() });
  let theme = document.documentElement.dataset.theme;
  const themeStyle = () => {
    if (document.documentElement.dataset.theme !== theme) {
      theme = document.documentElement.dataset.theme;
      cy.style(sheet());
    }
  };

  const showDetails = (id: string) => {
    const n = graph?.nodes.find((x) => x.id === id);
    if (!n || !graph) return;
    const nodeName = (nid: string) => graph!.nodes.find((x) => x.id === nid)?.name ?? nid;
    const edges = graph.edges.filter((e) => e.from === id || e.to === id);
    const href = pageOf(n);
    fill(
      details,
      h("h3", {}, h("span", { class: "kind" }, `${n.kind} `), n.name),
      n.state ? h("p", {}, `state ${n.state}`) : null,
      href ? h("p", {}, h("a", { href, class: "open" }, `open ${n.kind} page →`)) : null,
      table<TopologyEdge>(
        edges,
        [
          { header: "Edge", cell: (e) => `${e.kind}: ${e.from === id ? "→ " + nodeName(e.to) : "← " + nodeName(e.from)}` },
          { header: "Rate", cell: (e) => (e.stats.rps !== undefined ? `${num(e.stats.rps)} rps` : rate(e.stats.recordsPerSec)), num: true },
          { header: "Bytes", cell: (e) => bytes(e.stats.bytesPerSec, "/s"), num: true },
          {
            header: "Lag",
            cell: (e) => (e.stats.lagRecords === undefined ? "-" : `${int(e.stats.lagRecords)} · ${duration(e.stats.lagSeconds)}`),
            num: true,
          },
          { header: "Err", cell: (e) => (e.stats.errorPct === undefined ? "-" : percent(e.stats.errorPct / 100)), num: true },
          { header: "p99", cell: (e) => ms(e.stats.p99Ms ?? e.stats.deliveryP99Ms), num: true },
        ],
        "no edges",
      ),
    );
  };
  let cy!: cytoscape.Core;
  const listNodes = () =>
    fill(
      list,
      ...cy.nodes(":visible").map((n) => {
        const p = n.renderedPosition();
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              "data-id": n.id(),
              "data-x": Math.round(p.x),
              "data-y": Math.round(p.y),
              onclick: () => {
                cy.nodes().unselect();
                n.select();
                selected = n.id();
                showDetails(n.id());
              },
            },
            `${String(n.data("kind"))} ${String(n.data("label"))}`,
          ),
        );
      }),
    );

  /** Shows the nodes matching the filters and their neighbours. */
  function apply(): void {
    if (!cy) return;
    const ns = nsSel.value,
      q = wlInput.value.trim().toLowerCase();
    // The filters belong in the URL too, without a reload (a hash change would lay the graph out again).
    history.replaceState(null, "", link("topology", undefined, { namespace: ns, workload: wlInput.value.trim() }));
    cy.batch(() => {
      cy.nodes().forEach((n) => {
        const d = n.data() as { namespace?: string; kind: string; label: string };
        const nsOk = !ns || d.kind !== "workload" || d.namespace === ns;
        n.data("match", nsOk && (!q || d.label.toLowerCase().includes(q)) ? 1 : 0);
      });
      cy.elements().style("display", "element");
      if (ns || q) {
        const keep = cy.nodes("[match = 1]").closedNeighborhood();
        cy.elements().not(keep).style("display", "none");
      }
    });
    listNodes();
  }

  return {
    el,
    async refresh() {
      graph = await get<TopologyGraph>("/api/topology", { window: windowOf(r) });
      if (!cy) {
        cy = create();
        cy.on("tap", "node", (ev: cytoscape.EventObjectNode) => {
          selected = ev.target.id();
          showDetails(selected);
        });
        cy.on("layoutstop pan zoom", listNodes);
      }
      const had = new Set(cy.elements().map((e) => e.id()));
      const want = new Set([...graph.nodes.map((n) => n.id), ...graph.edges.map((e) => e.id)]);
      const badNodes = new Set(graph.nodes.filter((n) => BAD_STATES.has(n.state ?? "")).map((n) => n.id));
      let changed = false;
      cy.batch(() => {
        cy.elements()
          .filter((e) => !want.has(e.id()))
          .remove();
        for (const n of graph!.nodes) {
          const data = { id: n.id, label: n.name, kind: n.kind, namespace: n.namespace ?? "", bad: badNodes.has(n.id) ? 1 : 0 };
          if (had.has(n.id)) cy.getElementById(n.id).data(data);
          else {
            cy.add({ group: "nodes", data });
            changed = true;
          }
        }
        for (const e of graph!.edges) {
          const data = {
            id: e.id,
            source: e.from,
            target: e.to,
            kind: e.kind,
            width: edgeWidth(e),
            colour: edgeColour(e),
            label: edgeLabel(e),
          };
          if (had.has(e.id)) cy.getElementById(e.id).data(data);
          else {
            cy.add({ group: "edges", data });
            changed = true;
          }
        }
        if (had.size !== want.size) changed = true;
      });
      themeStyle();
      if (changed)
        cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 120, fit: true, padding: 30 } as cytoscape.LayoutOptions).run();
      const namespaces = [...new Set(graph.nodes.filter((n) => n.kind === "workload").map((n) => n.namespace ?? ""))]
        .filter((x) => x)
        .sort();
      const chosen = nsSel.value || r.params.get("namespace") || "";
      fill(
        nsSel,
        h("option", { value: "" }, "all namespaces"),
        ...namespaces.map((n) => h("option", { value: n, selected: n === chosen }, n)),
      );
      apply();
      if (selected) showDetails(selected);
      listNodes();
      box.dataset.nodes = String(graph.nodes.length);
      box.dataset.edges = String(graph.edges.length);
    },
    destroy() {
      cy?.destroy();
    },
  };
}
