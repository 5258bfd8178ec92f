// `kscope tap`: a live stream of decoded requests and responses from one proxy, one line each.
import { Command } from "commander";
import { action, DEFAULT_ADMIN, normaliseUrl, withFilters } from "../cli/common";
import * as fmt from "../cli/format";
import { CliError } from "../cli/source";
import { openTap } from "../cli/tap-client";
import type { TapEvent, TapFilter } from "../tap";

export function tapLine(e: TapEvent, c: fmt.Colours = fmt.colours(false)): string {
  const id = `${e.conn !== undefined ? `${e.conn}:` : ""}${e.id}`;
  const topics = e.topics.length ? ` topics=${e.topics.join(",")}` : "";
  const group = e.group ? ` group=${e.group}` : "";
  const recs = e.records ? ` records=${e.records}` : "";
  if (e.ev === "req") {
    return (
      `${c.cyan("req")} id=${id}${e.src ? ` src=${e.src}` : ""} client=${e.client || "-"} api=${e.api}/v${e.version}${group}${topics}` +
      `${e.partitions ? ` partitions=${e.partitions}` : ""}${recs} bytes=${fmt.bytes(e.bytes)}${e.noResponse ? " acks=0" : ""}`
    );
  }
  const err = e.error && e.error !== "NONE" ? c.red(`error=${e.error}${(e.errors ?? 0) > 1 ? `(+${e.errors! - 1})` : ""}`) : "error=NONE";
  return `${c.green("rsp")} id=${id} client=${e.client || "-"} api=${e.api}/v${e.version} ${err}${group}${topics}${recs} bytes=${fmt.bytes(e.bytes)} latency=${fmt.ms((e.latencyUs ?? 0) / 1000)}`;
}

export function tapCommand(): Command {
  const cmd = new Command("tap")
    .description("stream decoded requests and responses passing through a proxy (never payloads or secrets)")
    .option("--admin <url>", `the kscope proxy's admin endpoint (default ${DEFAULT_ADMIN})`)
    .option("-o, --output <format>", "text (one line per event) or json (NDJSON)", "text")
    .option("-n, --max <events>", "stop after this many events")
    .option("--prometheus <url>", "(not supported: tap reads one proxy live)");
  withFilters(cmd, ["topic", "group", "client", "api"]);
  return cmd
    .addHelpText(
      "after",
      `
Examples:
  kscope tap                                  # everything through the proxy at ${DEFAULT_ADMIN}
  kscope tap --topic orders --api Produce     # produce requests to one topic, and their responses
  kscope tap --group billing -o json | jq .   # one JSON object per line
  kscope tap -n 20                            # stop after 20 events

Lines: req id=CONN:CORRELATION src=… client=… api=NAME/vVERSION topics=… partitions=… records=… bytes=…
       rsp id=… client=… api=… error=NONE|NAME(+more) records=… bytes=… latency=…
Records are counted from batch headers; values, keys, headers and SASL tokens are never read out.
Tap is off in the filter until someone taps; an idle tap costs nothing on the data path.`,
    )
    .action(
      action(
        async (o: {
          admin?: string;
          output: string;
          max?: string;
          prometheus?: string;
          topic?: string;
          group?: string;
          client?: string;
          api?: string;
        }) => {
          if (o.prometheus)
            throw new CliError(
              "tap streams from one proxy, not from Prometheus",
              "pass that proxy's admin endpoint with --admin HOST:PORT",
            );
          const base = normaliseUrl(o.admin ?? process.env.KSCOPE_ADMIN ?? DEFAULT_ADMIN);
          const max = o.max === undefined ? Infinity : Number(o.max);
          if (!(max > 0)) throw new CliError("--max takes a positive number");
          const filter: TapFilter = {};
          for (const k of ["topic", "group", "client", "api"] as const) if (o[k]) filter[k] = o[k]!;
          const tap = await openTap(base, filter);
          process.on("SIGINT", () => {
            tap.stop();
            process.exit(0);
          });
          const c = fmt.colours();
          if (process.stderr.isTTY) {
            const q = new URLSearchParams(filter as Record<string, string>);
            process.stderr.write(c.dim(`tapping ${base}${q.size ? ` (${q})` : ""}; Ctrl-C to stop\n`));
          }
          let seen = 0;
          for await (const { e, line } of tap.events) {
            process.stdout.write(o.output === "json" ? line + "\n" : tapLine(e, c) + "\n");
            if (++seen >= max) {
              tap.stop();
              process.exit(0);
            }
          }
          throw new CliError(`${base} closed the tap stream`, "did the proxy stop?", 2);
        },
      ),
    );
}
