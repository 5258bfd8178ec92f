// `kscope edges`: the topology graph (kscope topology) as one row per edge.
import { Command } from "commander";
import { action, outputOf, resolveSource, withOutput, withSource, SourceOpts } from "../cli/common";
import * as fmt from "../cli/format";
import { CliError, formatWindow } from "../cli/source";
import { buildTopology } from "../topology/build";
import { renderEdges } from "../topology/render";

export function edgesCommand(): Command {
  const cmd = new Command("edges").description(
    "who talks to whom, one row per edge: http calls, producers → topics → consumer groups → members",
  );
  withOutput(withSource(cmd))
    .option("--namespace <ns>", "only edges on paths through workloads of this namespace")
    .option("--workload <name>", "only edges on paths through this workload")
    .option("--topic <name>", "only edges on paths through this topic")
    .option("--group <name>", "only edges on paths through this consumer group");
  return cmd
    .addHelpText(
      "after",
      `
Examples:
  kscope edges                     # every edge seen in the last minute
  kscope edges --topic orders      # who writes orders, its groups, their members
  kscope edges -o json --prometheus http://prometheus:9090

The same graph as \`kscope topology\` (see its --help for nodes, numbers and sources), as a table.
A group that commits offsets on a topic but fetched nothing in the window (paused, stopped)
is listed with rate 0.`,
    )
    .action(
      action(async (o: SourceOpts & { namespace?: string; workload?: string }) => {
        const out = outputOf(o);
        const src = await resolveSource(o);
        const g = await buildTopology(src, { namespace: o.namespace, workload: o.workload, topic: o.topic, group: o.group });
        if (out === "json") process.stdout.write(JSON.stringify(g, null, 2) + "\n");
        else if (g.edges.length) process.stdout.write(renderEdges(g, fmt.colours()) + "\n");
        if (!g.edges.length)
          throw new CliError(
            `no traffic seen in the last ${formatWindow(src.window)} (${src.describe})`,
            "is traffic flowing through the proxies? Try a longer window (-t 10m)",
            3,
          );
      }),
    );
}
