// `kscope edges`: who talks to whom — producer → topic, topic → consumer group (and its clients).
import { Command } from "commander";
import { action, filtersOf, outputOf, sourceOf, withFilters, withOutput, withSource, SourceOpts } from "../cli/common";
import * as fmt from "../cli/format";
import { Edge, edges } from "../cli/model";
import { CliError, formatWindow } from "../cli/source";

export function edgesCommand(): Command {
  const cmd = new Command("edges").description("who talks to whom: producer → topic → consumer group, with rates");
  withFilters(withOutput(withSource(cmd)), ["topic", "group", "client"]);
  return cmd.addHelpText("after", `
Examples:
  kscope edges                     # every producer, topic and group seen in the last minute
  kscope edges --topic orders      # who writes orders, and which groups read it
  kscope edges -o json --prometheus http://prometheus:9090

A group that commits offsets on a topic but fetched nothing in the window (paused, stopped)
is listed with rate 0. Client ids come from the Kafka request header (client.id).`)
    .action(action(async (o: SourceOpts) => {
      const out = outputOf(o);
      const src = sourceOf(o);
      const list = await edges(src, filtersOf(o));
      if (out === "json") process.stdout.write(JSON.stringify({ source: src.describe, windowSeconds: src.window, edges: list }, null, 2) + "\n");
      else if (list.length) {
        const c = fmt.colours();
        process.stdout.write(fmt.table<Edge>(list, [
          { header: "FROM", cell: (e) => (e.kind === "produce" ? c.cyan(e.from || "(no client id)") : e.from) },
          { header: "", cell: () => "→" },
          { header: "TO", cell: (e) => (e.kind === "produce" ? e.to : c.cyan(e.to)) },
          { header: "KIND", cell: (e) => e.kind },
          { header: "CLIENT", cell: (e) => (e.kind === "consume" ? e.client || "-" : "") },
          { header: "RECORDS", cell: (e) => fmt.rate(e.recordsPerSec), align: "right" },
          { header: "BYTES", cell: (e) => fmt.bytes(e.bytesPerSec, "/s"), align: "right" },
        ], { c }) + "\n");
      }
      if (!list.length) throw new CliError(`no producers or consumers seen in the last ${formatWindow(src.window)} (${src.describe})`, "is traffic flowing through the proxy? Try a longer window (-t 10m)", 3);
    }));
}
