// `kscope topology`: who calls whom over HTTP, who produces to which topic, which groups consume
// it and which workloads are their members, as readable paths (or JSON, DOT, Mermaid).
import { Command } from "commander";
import { action, resolveSource, withSource, SourceOpts, DEFAULT_ADMIN, DEFAULT_PROMETHEUS } from "../cli/common";
import { colours } from "../cli/format";
import { CliError, formatWindow } from "../cli/source";
import { buildTopology } from "../topology/build";
import { legend, renderDot, renderMermaid, renderPaths } from "../topology/render";

const FORMATS = ["table", "json", "dot", "mermaid"];

export function topologyCommand(): Command {
  const cmd = new Command("topology").description(
    "the graph of HTTP calls, producers, topics, consumer groups and their members, as paths",
  );
  withSource(cmd)
    .option("-o, --output <format>", `${FORMATS.join(", ")} (table prints one line per path)`, "table")
    .option("--namespace <ns>", "only paths through workloads of this namespace")
    .option("--workload <name>", "only paths through this workload")
    .option("--topic <name>", "only paths through this topic")
    .option("--group <name>", "only paths through this consumer group");
  return cmd
    .addHelpText(
      "after",
      `
Examples:
  kscope topology                         # while make demo runs
  kscope topology --topic orders -t 5m
  kscope topology -o dot | dot -Tsvg > graph.svg
  kscope topology -o json --prometheus http://prometheus:9090

Nodes: workloads (named by the mesh: plugin configuration, Istio node metadata, SPIFFE identity),
[topics], (consumer groups), and "unknown" for traffic whose source cannot be named.
Hops: http (req/s, error %, p99), produce (records/s, bytes/s, p99), consume (records/s, lag,
delivery latency record timestamp → delivery, group state if not OK), member (records/s).
HTTP hops come from kscope's HTTP filter, else from Istio (istio_requests_total) or Linkerd
(response_total) series in the same Prometheus.
Source: --admin, --prometheus, $KSCOPE_ADMIN or $KSCOPE_PROMETHEUS; with none, the proxy at
${DEFAULT_ADMIN}, or if none answers there, the Prometheus at ${DEFAULT_PROMETHEUS}.`,
    )
    .action(
      action(async (o: SourceOpts & { namespace?: string; workload?: string }) => {
        if (!FORMATS.includes(o.output)) throw new CliError(`unknown output format "${o.output}"`, `use one of ${FORMATS.join(", ")}`);
        const src = await resolveSource(o);
        const g = await buildTopology(src, { namespace: o.namespace, workload: o.workload, topic: o.topic, group: o.group });
        if (o.output === "json") {
          process.stdout.write(JSON.stringify(g, null, 2) + "\n");
          return;
        }
        if (!g.edges.length)
          throw new CliError(
            `no traffic seen in the last ${formatWindow(src.window)} (${src.describe})`,
            "is traffic flowing through the proxies? Try a longer window (-t 10m)",
            3,
          );
        if (o.output === "dot") process.stdout.write(renderDot(g) + "\n");
        else if (o.output === "mermaid") process.stdout.write(renderMermaid(g) + "\n");
        else {
          const c = colours();
          process.stdout.write(`${c.dim(`${src.describe}, last ${formatWindow(src.window)}; ${legend()}`)}\n${renderPaths(g, c)}\n`);
        }
      }),
    );
}
