// `kscope top`: a refreshing view of the busiest (client, API, topic) flows, like `linkerd viz top`.
import { Command } from "commander";
import { action, filtersOf, sourceOf, withFilters, withSource, SourceOpts } from "../cli/common";
import { AdminSource } from "../cli/admin-source";
import * as fmt from "../cli/format";
import { Flow, flows } from "../cli/top";
import { CliError, formatWindow } from "../cli/source";

function render(list: Flow[], c: fmt.Colours): string {
  if (!list.length) return c.dim("(no produce or fetch traffic in the window yet)");
  return fmt.table<Flow>(list, [
    { header: "CLIENT", cell: (f) => f.client || "(none)" },
    { header: "API", cell: (f) => f.api },
    { header: "TOPIC", cell: (f) => f.topic },
    { header: "GROUP", cell: (f) => f.group ?? "" },
    { header: "RECORDS", cell: (f) => fmt.rate(f.recordsPerSec), align: "right" },
    { header: "BYTES", cell: (f) => fmt.bytes(f.bytesPerSec, "/s"), align: "right" },
    { header: "COUNT", cell: (f) => fmt.num(f.count), align: "right" },
    { header: "P50", cell: (f) => fmt.ms(f.p50Ms), align: "right" },
    { header: "P99", cell: (f) => fmt.ms(f.p99Ms), align: "right" },
    { header: "WORST", cell: (f) => fmt.ms(f.maxMs), align: "right" },
    { header: "ERRORS", cell: (f) => (f.errorsPerSec ? c.red(fmt.rate(f.errorsPerSec)) : fmt.rate(f.errorsPerSec)), align: "right" },
  ], { c });
}

export function topCommand(): Command {
  const cmd = new Command("top").description("a live view of the busiest clients, APIs and topics (Ctrl-C to quit)")
    .option("-n, --limit <rows>", "rows shown", "20")
    .option("--interval <seconds>", "seconds between refreshes", "2")
    .option("-o, --output <format>", "table or json (json prints one snapshot)", "table");
  withFilters(withSource(cmd, "10s"), ["topic", "group", "client"]);
  return cmd.addHelpText("after", `
Examples:
  kscope top                         # refreshes every 2s over the last 10s; Ctrl-C quits
  kscope top --topic orders -t 1m
  kscope top --prometheus http://prometheus:9090
  kscope top | cat                   # not a terminal: prints one snapshot and exits

COUNT is records in the window; P50/P99/WORST are the API's latency over the window
(the upper bound of the slowest histogram bucket for WORST); ERRORS are the topic's error codes.`)
    .action(action(async (o: SourceOpts & { limit: string; interval: string }) => {
      const src = sourceOf(o);
      const f = filtersOf(o);
      const limit = Number(o.limit);
      const interval = Number(o.interval);
      if (!(limit > 0) || !(interval > 0)) throw new CliError("--limit and --interval take positive numbers");
      const c = fmt.colours();
      const once = async () => { if (src instanceof AdminSource) src.refresh(); return flows(src, f, limit); };
      if (o.output === "json") { process.stdout.write(JSON.stringify({ source: src.describe, windowSeconds: src.window, flows: await once() }, null, 2) + "\n"); return; }
      const header = () => `${c.bold("kscope top")}  ${src.describe}  window ${formatWindow(src.window)}  ${new Date().toLocaleTimeString()}`;
      if (!process.stdout.isTTY) { process.stdout.write(`${header()}\n${render(await once(), c)}\n`); return; }
      let stopped = false;
      const quit = () => { stopped = true; process.stdout.write("\x1b[?25h\x1b[?1049l"); process.exit(0); };
      process.on("SIGINT", quit);
      process.on("SIGTERM", quit);
      if (process.stdin.isTTY) { // raw mode: Ctrl-C and q arrive as keys
        process.stdin.setRawMode(true);
        process.stdin.on("data", (k) => { if (k[0] === 3 || k.toString() === "q") quit(); });
      }
      process.stdout.write("\x1b[?1049h\x1b[?25l"); // alternate screen, hide cursor
      while (!stopped) {
        let body: string;
        try { body = render(await once(), c); } catch (e) { body = c.red(`${(e as Error).message}${e instanceof CliError && e.hint ? `\n  hint: ${e.hint}` : ""}`); }
        process.stdout.write(`\x1b[H\x1b[2J${header()}  ${c.dim("(q or Ctrl-C to quit)")}\n\n${body}\n`);
        await new Promise((r) => setTimeout(r, interval * 1000));
      }
    }));
}
