// `kscope top`: a refreshing view of the busiest (client, API, topic) flows, like `linkerd viz top`.
// Against a proxy whose filter can tap, the latency columns come from the tap stream (count,
// best/worst/last, success of every response); otherwise, from metrics (percentiles per API).
import { Command } from "commander";
import { action, filtersOf, sourceOf, withFilters, withSource, SourceOpts } from "../cli/common";
import { AdminSource, getJson } from "../cli/admin-source";
import type { ProxyInfo } from "../admin/info";
import * as fmt from "../cli/format";
import { Filters } from "../cli/model";
import { Flow, TapFlow, TapTally, flows, joinTapFlows } from "../cli/top";
import { openTap, TapStream } from "../cli/tap-client";
import { CliError, Source, formatWindow } from "../cli/source";

const right = "right" as const;

function renderMetrics(list: Flow[], c: fmt.Colours): string {
  if (!list.length) return c.dim("(no produce or fetch traffic in the window yet)");
  return fmt.table<Flow>(
    list,
    [
      { header: "CLIENT", cell: (f) => f.client || "(none)" },
      { header: "API", cell: (f) => f.api },
      { header: "TOPIC", cell: (f) => f.topic },
      { header: "GROUP", cell: (f) => f.group ?? "" },
      { header: "RECORDS", cell: (f) => fmt.rate(f.recordsPerSec), align: right },
      { header: "BYTES", cell: (f) => fmt.bytes(f.bytesPerSec, "/s"), align: right },
      { header: "COUNT", cell: (f) => fmt.num(f.count), align: right },
      { header: "P50", cell: (f) => fmt.ms(f.p50Ms), align: right },
      { header: "P99", cell: (f) => fmt.ms(f.p99Ms), align: right },
      { header: "WORST", cell: (f) => fmt.ms(f.maxMs), align: right },
      { header: "ERRORS", cell: (f) => (f.errorsPerSec ? c.red(fmt.rate(f.errorsPerSec)) : fmt.rate(f.errorsPerSec)), align: right },
    ],
    { c },
  );
}

function renderTap(list: TapFlow[], c: fmt.Colours): string {
  if (!list.length) return c.dim("(no responses tapped and no produce or fetch traffic in the window yet)");
  return fmt.table<TapFlow>(
    list,
    [
      { header: "CLIENT", cell: (f) => f.client || "(none)" },
      { header: "API", cell: (f) => f.api },
      { header: "TOPIC", cell: (f) => f.topic || "-" },
      { header: "GROUP", cell: (f) => f.group ?? "" },
      { header: "COUNT", cell: (f) => fmt.num(f.count), align: right },
      { header: "BEST", cell: (f) => fmt.ms(f.bestMs), align: right },
      { header: "WORST", cell: (f) => fmt.ms(f.worstMs), align: right },
      { header: "LAST", cell: (f) => fmt.ms(f.lastMs), align: right },
      {
        header: "SUCCESS",
        cell: (f) =>
          typeof f.successRate === "number" && f.successRate < 0.99 ? c.red(fmt.percent(f.successRate)) : fmt.percent(f.successRate),
        align: right,
      },
      { header: "RECORDS", cell: (f) => fmt.rate(f.recordsPerSec), align: right },
      { header: "BYTES", cell: (f) => fmt.bytes(f.bytesPerSec, "/s"), align: right },
    ],
    { c },
  );
}

/** Why the latency columns come from metrics, or undefined when this source can tap. */
async function whyNoTap(src: Source): Promise<string | undefined> {
  if (!(src instanceof AdminSource)) return "tap reads one proxy (--admin), not Prometheus";
  let info: ProxyInfo;
  try {
    info = await getJson<ProxyInfo>(`${src.base}/api/info`, "the kscope admin endpoint", AdminSource.hint);
  } catch {
    return "the proxy does not answer /api/info";
  }
  if (!info.filter) return "the proxy runs without the filter";
  if (info.tap !== true) return "this proxy's filter cannot tap";
  return undefined;
}

/** The tap side of top: a stream folded into a tally for as long as top runs. */
class TopTap {
  readonly since = Date.now();
  ended?: string;
  private constructor(
    private stream: TapStream,
    readonly tally: TapTally,
  ) {
    void (async () => {
      try {
        for await (const { e } of stream.events) this.tally.add(e, Date.now());
        this.ended ??= "the proxy closed the tap stream";
      } catch (err) {
        this.ended ??= (err as Error).message;
      }
    })();
  }
  static async open(src: AdminSource, f: Filters): Promise<TopTap> {
    // --group is applied to the joined rows: a Fetch request names no group (metrics know it).
    return new TopTap(await openTap(src.base, { topic: f.topic, client: f.client }), new TapTally(f.topic));
  }
  /** Seconds the tap columns cover: the window, or less while top has run for less. */
  seconds(window: number): number {
    return Math.min(window, Math.max(1, (Date.now() - this.since) / 1000));
  }
  stop(): void {
    this.ended ??= "stopped";
    this.stream.stop();
  }
}

export function topCommand(): Command {
  const cmd = new Command("top")
    .description("a live view of the busiest clients, APIs and topics (Ctrl-C to quit)")
    .option("-n, --limit <rows>", "rows shown", "20")
    .option("--interval <seconds>", "seconds between refreshes; off a terminal, seconds of tap collected before the one snapshot", "2")
    .option("-o, --output <format>", "table or json (json prints one snapshot)", "table");
  withFilters(withSource(cmd, "10s"), ["topic", "group", "client"]);
  return cmd
    .addHelpText(
      "after",
      `
Examples:
  kscope top                         # refreshes every 2s over the last 10s; q or Ctrl-C quits
  kscope top --topic orders -t 1m
  kscope top --prometheus http://prometheus:9090
  kscope top | cat                   # not a terminal: taps for --interval seconds, prints one snapshot

Columns against a kscope proxy whose filter can tap (--admin; /api/info says "tap": true):
  COUNT    responses tapped per (client, API, topic) over the last -t (or since top started;
           off a terminal, over --interval seconds); the tap is the stream \`kscope tap\` reads
  BEST     the fastest response's latency    WORST  the slowest    LAST  the latest response's
  SUCCESS  the share of those responses with error NONE
  RECORDS, BYTES  per second from metrics over -t (Produce and Fetch; "-" for other APIs)
  A Fetch naming several topics counts for each; an API naming no topic shows TOPIC "-".
  top stops tapping when it exits.
With --prometheus, or a proxy that cannot tap, every column comes from metrics (a header line says so):
  RECORDS, BYTES, ERRORS  per second over -t          COUNT  records in the window
  P50, P99, WORST  the API's latency over -t (WORST: upper bound of the slowest histogram bucket)`,
    )
    .action(
      action(async (o: SourceOpts & { limit: string; interval: string }) => {
        const src = sourceOf(o);
        const f = filtersOf(o);
        const limit = Number(o.limit);
        const interval = Number(o.interval);
        if (!(limit > 0) || !(interval > 0)) throw new CliError("--limit and --interval take positive numbers");
        if (o.output !== "table" && o.output !== "json") throw new CliError(`unknown output format "${o.output}"`, "use table or json");
        const c = fmt.colours();
        const tty = !!process.stdout.isTTY && o.output !== "json";

        let noTap = await whyNoTap(src);
        let tap: TopTap | undefined;
        if (!noTap) {
          try {
            tap = await TopTap.open(src as AdminSource, f);
          } catch (e) {
            noTap = (e as Error).message;
          }
        }
        const stopTap = () => tap?.stop();

        const snapshot = async () => {
          if (src instanceof AdminSource) src.refresh();
          if (!tap) return { latency: "metrics" as const, note: noTap, flows: await flows(src, f, limit) };
          const seconds = tap.seconds(src.window);
          const metric = await flows(src, { ...f, group: undefined }, 1000);
          return {
            latency: "tap" as const,
            tapSeconds: Math.round(seconds * 10) / 10,
            note: tap.ended,
            flows: joinTapFlows(tap.tally.rows(Date.now(), seconds), metric, f, limit),
          };
        };
        const from = (s: Awaited<ReturnType<typeof snapshot>>) =>
          s.latency === "tap"
            ? c.dim(
                `COUNT BEST WORST LAST SUCCESS: tap, last ${formatWindow(s.tapSeconds)}${s.note ? ` (${s.note})` : ""}  ·  RECORDS BYTES: metrics, last ${formatWindow(src.window)}`,
              )
            : c.dim(`latency from metrics: P50/P99/WORST per API (WORST a bucket bound); BEST/LAST need tap: ${s.note}`);
        const body = (s: Awaited<ReturnType<typeof snapshot>>) => (s.latency === "tap" ? renderTap(s.flows, c) : renderMetrics(s.flows, c));
        const header = () =>
          `${c.bold("kscope top")}  ${src.describe}  window ${formatWindow(src.window)}  ${new Date().toLocaleTimeString()}`;

        if (!tty) {
          // one snapshot: tap for --interval seconds first
          let s: Awaited<ReturnType<typeof snapshot>>;
          try {
            if (tap) await new Promise((r) => setTimeout(r, interval * 1000));
            s = await snapshot();
          } finally {
            stopTap();
          }
          if (o.output === "json")
            process.stdout.write(JSON.stringify({ source: src.describe, windowSeconds: src.window, ...s }, null, 2) + "\n");
          else process.stdout.write(`${header()}\n${from(s)}\n${body(s)}\n`);
          return;
        }
        let stopped = false;
        const quit = () => {
          stopped = true;
          stopTap();
          process.stdout.write("\x1b[?25h\x1b[?1049l");
          process.exit(0);
        };
        process.on("SIGINT", quit);
        process.on("SIGTERM", quit);
        if (process.stdin.isTTY) {
          // raw mode: Ctrl-C and q arrive as keys
          process.stdin.setRawMode(true);
          process.stdin.on("data", (k) => {
            if (k[0] === 3 || k.toString() === "q") quit();
          });
        }
        process.stdout.write("\x1b[?1049h\x1b[?25l"); // alternate screen, hide cursor
        while (!stopped) {
          let out: string;
          try {
            const s = await snapshot();
            out = `${from(s)}\n${body(s)}`;
          } catch (e) {
            out = c.red(`${(e as Error).message}${e instanceof CliError && e.hint ? `\n  hint: ${e.hint}` : ""}`);
          }
          process.stdout.write(`\x1b[H\x1b[2J${header()}  ${c.dim("(q or Ctrl-C to quit)")}\n${out}\n`);
          await new Promise((r) => setTimeout(r, interval * 1000));
        }
      }),
    );
}
