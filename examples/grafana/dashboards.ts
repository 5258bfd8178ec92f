// kscope's Grafana dashboards, built from code with the typed builders of
// @grafana/grafana-foundation-sdk: overview, topics, consumer groups (lag in records and
// seconds) and the topology in the Node Graph panel. Every panel reads the `datasource`
// variable (no hard-coded datasource). `npm run gen:grafana` writes the JSON, the provisioning
// file and the Kubernetes ConfigMap beside this file; test/unit/grafana.test.ts checks that the
// committed files are what this code builds, and test/integration/dashboard.test.ts runs every
// query against a real Prometheus scraping real kscope traffic.
import fs from "node:fs";
import path from "node:path";
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as nodegraph from "@grafana/grafana-foundation-sdk/nodegraph";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import * as M from "../../vocabulary/metrics";

const DS = { type: "prometheus", uid: "${datasource}" };
const RI = "$__rate_interval";

const datasource = () => new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus");
const labelVar = (name: string, metric: string, label: string) =>
  new QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query(`label_values(${metric}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*");

const q = (expr: string, legend: string, ref = "A") => new DataqueryBuilder().datasource(DS).expr(expr).legendFormat(legend).refId(ref);
const instant = (expr: string, ref = "A") =>
  new DataqueryBuilder()
    .datasource(DS)
    .expr(expr)
    .instant()
    .format("table" as never)
    .refId(ref);

function chart(title: string, unit: string, ...targets: DataqueryBuilder[]) {
  const p = new timeseries.PanelBuilder().title(title).datasource(DS).unit(unit).min(0).height(8).span(12);
  for (const t of targets) p.withTarget(t);
  return p;
}

function tableOf(title: string, expr: string, rename: Record<string, string>) {
  return new table.PanelBuilder()
    .title(title)
    .datasource(DS)
    .height(8)
    .span(12)
    .withTarget(instant(expr))
    .withTransformation({ id: "organize", options: { excludeByName: { Time: true }, renameByName: rename } });
}

export function overview(): DashboardBuilder {
  return new DashboardBuilder("kscope / Overview")
    .uid("kscope-overview")
    .tags(["kscope", "kafka"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .withVariable(datasource())
    .withRow(new RowBuilder("Requests"))
    .withPanel(chart("Requests/s by API", "reqps", q(`sum by (api) (rate(${M.requests}[${RI}]))`, "{{api}}")))
    .withPanel(chart("Errors/s by API and error", "short", q(`sum by (api, error) (rate(${M.errors}[${RI}]))`, "{{api}} {{error}}")))
    .withPanel(
      chart(
        "p99 latency by API",
        "µs",
        q(`histogram_quantile(0.99, sum by (le, api) (rate(${M.requestDuration}_bucket[${RI}])))`, "{{api}}"),
      ),
    )
    .withPanel(chart("Active connections", "short", q(`sum(${M.connectionsActive})`, "connections")))
    .withRow(new RowBuilder("Throughput"))
    .withPanel(chart("Produced records/s by topic", "short", q(`sum by (topic) (rate(${M.producedRecords}[${RI}]))`, "{{topic}}")))
    .withPanel(chart("Fetched records/s by topic", "short", q(`sum by (topic) (rate(${M.fetchedRecords}[${RI}]))`, "{{topic}}")))
    .withPanel(
      chart("Produced bytes/s by compression", "Bps", q(`sum by (compression) (rate(${M.producedBytes}[${RI}]))`, "{{compression}}")),
    )
    .withPanel(
      tableOf("Consumer groups by lag", `sort_desc(sum by (group) (${M.lagRecords}))`, { group: "Group", Value: "Lag (records)" }),
    );
}

export function topics(): DashboardBuilder {
  const t = `topic=~"$topic"`;
  return new DashboardBuilder("kscope / Topics")
    .uid("kscope-topics")
    .tags(["kscope", "kafka"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .withVariable(datasource())
    .withVariable(labelVar("topic", M.producedRecords, "Topic"))
    .withPanel(chart("Produced records/s", "short", q(`sum by (topic) (rate(${M.producedRecords}{${t}}[${RI}]))`, "{{topic}}")))
    .withPanel(
      chart(
        "Produced records/s by producer (client id)",
        "short",
        q(`sum by (topic, client_id) (rate(${M.producedRecords}{${t}}[${RI}]))`, "{{topic}} {{client_id}}"),
      ),
    )
    .withPanel(
      chart(
        "Fetched records/s by group",
        "short",
        q(`sum by (topic, group) (rate(${M.fetchedRecords}{${t}}[${RI}]))`, "{{topic}} {{group}}"),
      ),
    )
    .withPanel(
      chart(
        "Delivery latency p99 by group",
        "ms",
        q(`histogram_quantile(0.99, sum by (le, topic, group) (rate(${M.deliveryLatency}_bucket{${t}}[${RI}])))`, "{{topic}} → {{group}}"),
      ),
    )
    .withPanel(chart("Produced bytes/s", "Bps", q(`sum by (topic) (rate(${M.producedBytes}{${t}}[${RI}]))`, "{{topic}}")))
    .withPanel(
      chart(
        "Topic errors/s",
        "short",
        q(
          `sum by (topic, api, error) (rate(${M.topicErrors}{${t}}[${RI}])) or sum by (topic) (rate(${M.producedRecords}{${t}}[${RI}])) * 0`,
          "{{topic}} {{api}} {{error}}",
        ),
      ),
    )
    .withPanel(
      tableOf("Partitions: high watermark", `max by (topic, partition) (${M.highWatermark}{${t}})`, {
        topic: "Topic",
        partition: "Partition",
        Value: "High watermark",
      }),
    )
    .withPanel(
      tableOf("Partitions: leader", `max by (topic, partition) (${M.partitionLeader}{${t}})`, {
        topic: "Topic",
        partition: "Partition",
        Value: "Leader broker",
      }),
    );
}

export function consumerGroups(): DashboardBuilder {
  const g = `group=~"$group"`;
  const part = "group, topic, partition";
  return new DashboardBuilder("kscope / Consumer groups")
    .uid("kscope-consumer-groups")
    .tags(["kscope", "kafka"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .withVariable(datasource())
    .withVariable(labelVar("group", M.committedOffset, "Group"))
    .withPanel(
      chart(
        "Lag (records) by group and topic",
        "short",
        q(`sum by (group, topic) (max by (${part}) (${M.lagRecords}{${g}}))`, "{{group}} {{topic}}"),
      ),
    )
    .withPanel(
      chart("Lag (seconds): oldest uncommitted record", "s", q(`max by (group, topic) (${M.lagSeconds}{${g}})`, "{{group}} {{topic}}")),
    )
    .withPanel(
      chart("Lag (records) per partition", "short", q(`max by (${part}) (${M.lagRecords}{${g}})`, "{{group}} {{topic}}/{{partition}}")),
    )
    .withPanel(
      chart("Lag (seconds) per partition", "s", q(`max by (${part}) (${M.lagSeconds}{${g}})`, "{{group}} {{topic}}/{{partition}}")),
    )
    .withPanel(
      chart("Committed records/s", "short", q(`sum by (group, topic) (deriv(${M.committedOffset}{${g}}[${RI}]))`, "{{group}} {{topic}}")),
    )
    .withPanel(
      chart("Fetched records/s", "short", q(`sum by (group, topic) (rate(${M.fetchedRecords}{${g}}[${RI}]))`, "{{group}} {{topic}}")),
    )
    .withPanel(
      chart(
        "Delivery latency (record timestamp → consumer), p50 and p99",
        "ms",
        q(`histogram_quantile(0.5, sum by (le, group, topic) (rate(${M.deliveryLatency}_bucket{${g}}[${RI}])))`, "p50 {{group}} {{topic}}"),
        q(
          `histogram_quantile(0.99, sum by (le, group, topic) (rate(${M.deliveryLatency}_bucket{${g}}[${RI}])))`,
          "p99 {{group}} {{topic}}",
          "B",
        ),
      ),
    )
    .withPanel(chart("Members", "short", q(`max by (group) (${M.groupMembers}{${g}})`, "{{group}}")))
    .withPanel(chart("Rebalances", "short", q(`sum by (group) (increase(${M.groupRebalances}{${g}}[${RI}]))`, "{{group}}")));
}

/**
 * The Node Graph panel wants a nodes frame (id, title, mainstat) and an edges frame (id, source,
 * target, mainstat): PromQL builds them with label_replace, as instant table queries.
 */
export function topology(): DashboardBuilder {
  const rel = (expr: string, dst: string, tpl: string, src: string) => `label_replace(${expr}, "${dst}", "${tpl}", "${src}", "(.+)")`;
  const produced = `sum by (client_id, topic) (rate(${M.producedRecords}[${RI}]))`;
  const fetched = `sum by (topic, group) (rate(${M.fetchedRecords}{group!=""}[${RI}]))`;
  const id = (expr: string) => `label_join(${expr}, "id", "->", "source", "target")`;
  const edges =
    `${id(rel(rel(produced, "source", "client:$1", "client_id"), "target", "topic:$1", "topic"))} or ` +
    `${id(rel(rel(fetched, "source", "topic:$1", "topic"), "target", "group:$1", "group"))}`;
  const nodes =
    `${rel(rel(`sum by (client_id) (rate(${M.producedRecords}[${RI}]))`, "id", "client:$1", "client_id"), "title", "$1", "client_id")} or ` +
    `${rel(rel(`sum by (topic) (rate(${M.producedRecords}[${RI}]))`, "id", "topic:$1", "topic"), "title", "$1", "topic")} or ` +
    `${rel(rel(`sum by (group) (rate(${M.fetchedRecords}{group!=""}[${RI}]))`, "id", "group:$1", "group"), "title", "$1", "group")}`;
  const organise = (keep: string[]) => ({
    id: "organize",
    options: {
      excludeByName: { Time: true, client_id: true, topic: true, group: true },
      indexByName: Object.fromEntries(keep.map((k, i) => [k, i])),
      renameByName: { Value: "mainstat" },
    },
  });
  const graph = new nodegraph.PanelBuilder()
    .title("Producers → topics → consumer groups (records/s)")
    .datasource(DS)
    .height(16)
    .span(24)
    .withTarget(instant(nodes, "nodes"))
    .withTarget(instant(edges, "edges"))
    .withTransformation(organise(["id", "title", "source", "target", "mainstat"]));
  return new DashboardBuilder("kscope / Topology")
    .uid("kscope-topology")
    .tags(["kscope", "kafka"])
    .refresh("30s")
    .time({ from: "now-15m", to: "now" })
    .withVariable(datasource())
    .withPanel(graph);
}

export const DASHBOARDS: Record<string, () => DashboardBuilder> = {
  "kscope-overview": overview,
  "kscope-topics": topics,
  "kscope-consumer-groups": consumerGroups,
  "kscope-topology": topology,
};

export function build(): Record<string, Dashboard> {
  return Object.fromEntries(Object.entries(DASHBOARDS).map(([k, f]) => [k, f().build()]));
}

const PROVISIONING = `# Grafana provisioning: load kscope's dashboards from this folder (mount dashboards/ at the path below).
apiVersion: 1
providers:
  - name: kscope
    folder: kscope
    type: file
    disableDeletion: false
    allowUiUpdates: true
    options:
      path: /var/lib/grafana/dashboards/kscope
`;

/** The files `npm run gen:grafana` writes, by path relative to examples/grafana/. */
export function files(): Record<string, string> {
  const out: Record<string, string> = {};
  const json = build();
  for (const [k, d] of Object.entries(json)) out[`dashboards/${k}.json`] = JSON.stringify(d, null, 2) + "\n";
  out["provisioning/dashboards.yaml"] = PROVISIONING;
  const indent = (s: string) =>
    s
      .trimEnd()
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n");
  out["configmap.yaml"] =
    [
      "# kscope's dashboards for Grafana's sidecar (kube-prometheus-stack and the Grafana Helm chart load",
      '# every ConfigMap labelled grafana_dashboard: "1").',
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: kscope-dashboards",
      "  labels:",
      '    grafana_dashboard: "1"',
      "data:",
      ...Object.entries(json).map(([k, d]) => `  ${k}.json: |\n${indent(JSON.stringify(d, null, 2))}`),
    ].join("\n") + "\n";
  return out;
}

export const GRAFANA_DIR = path.join(__dirname, "..", "..", "..", "examples", "grafana");

if (require.main === module) {
  for (const [rel, text] of Object.entries(files())) {
    const p = path.join(GRAFANA_DIR, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    console.log(`wrote examples/grafana/${rel}`);
  }
}
