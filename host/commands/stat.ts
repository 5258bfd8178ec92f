// `kscope stat <resource>`: one row per topic, group, client, API or broker over a time window.
import { Command } from "commander";
import { action, filtersOf, outputOf, sortRows, sourceOf, withFilters, withOutput, withSource, SourceOpts } from "../cli/common";
import { colours, table } from "../cli/format";
import { CliError, formatWindow } from "../cli/source";
import { VIEWS } from "../cli/views";

const STATE_RULE = `
Group state (in the spirit of Burrow), over the window:
  OK       no lag, or lag with committed offsets moving (and not LAGGING)
  LAGGING  committed offsets move, but the total lag grew over the window and the
           oldest uncommitted record has waited 10s or more (falling behind)
  STALLED  lag; the group still fetches but its committed offsets did not move
  STOPPED  lag; the group neither commits nor fetches (paused, hung or gone)
Lag is the high watermark seen on the wire minus the committed offset, per partition;
LAG_TIME is how long the oldest uncommitted record has been readable (worst partition).

Clients: one row per client id that produced or fetched records in the window. REQUESTS,
SUCCESS and LATENCY cover all its requests (every API and topic, whatever --topic/--group):
SUCCESS = 1 - responses carrying any Kafka error code / requests ("-" with no requests).`;

export function statCommand(): Command {
  const cmd = new Command("stat")
    .description("one row per topic, consumer group, client, API or broker over a time window")
    .argument("<resource>", `one of: ${Object.keys(VIEWS).join(", ")}`)
    .option("--sort <field>", "sort by a JSON field (numbers descending), e.g. producedBytesPerSec, lagRecords");
  withFilters(withOutput(withSource(cmd)), ["topic", "group", "client", "api"]);
  return cmd
    .addHelpText(
      "after",
      `
Examples:
  kscope stat topics                      # last minute, from the proxy at ${"http://127.0.0.1:9990"}
  kscope stat groups -t 5m -o wide        # consumer groups: state, lag, commit rate
  kscope stat apis --admin 10.0.0.7:9990  # per Kafka API: success rate, RPS, latency percentiles
  kscope stat clients --topic orders -o json
  kscope stat topics --prometheus http://prometheus:9090   # the whole fleet
${STATE_RULE}

Exit codes: 0 rows printed, 1 usage error, 2 source unreachable, 3 nothing seen in the window.`,
    )
    .action(
      action(async (resource: string, o: SourceOpts) => {
        const view = VIEWS[resource] ?? VIEWS[resource + "s"];
        if (!view) throw new CliError(`unknown resource "${resource}"`, `use one of: ${Object.keys(VIEWS).join(", ")}`);
        const out = outputOf(o);
        const src = sourceOf(o);
        const f = filtersOf(o);
        for (const k of ["topic", "group", "client", "api"] as const) {
          if (f[k] !== undefined && !view.filters.includes(k))
            throw new CliError(
              `--${k} does not apply to ${view.resource}`,
              `${view.resource} can be filtered by ${view.filters.map((x) => `--${x}`).join(", ")}`,
            );
        }
        const rows = await view.load(src, f);
        const fields = rows.length ? Object.keys(rows[0]) : [view.sort];
        const sorted = sortRows(rows, o.sort, view.sort, [...new Set([...fields, view.key, view.sort])]);
        if (out === "json") {
          process.stdout.write(
            JSON.stringify({ resource: view.resource, source: src.describe, windowSeconds: src.window, rows: sorted }, null, 2) + "\n",
          );
        } else if (sorted.length) {
          process.stdout.write(table(sorted, view.columns(colours()), { wide: out === "wide", c: colours() }) + "\n");
        }
        if (!sorted.length) {
          const filt = Object.entries(f)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `--${k} ${v}`)
            .join(" ");
          throw new CliError(
            `no ${view.resource} seen in the last ${formatWindow(src.window)} (${src.describe}${filt ? `, ${filt}` : ""})`,
            "is traffic flowing through the proxy? Try a longer window (-t 10m), fewer filters, or `kscope check`",
            3,
          );
        }
      }),
    );
}
