// Options and error handling shared by the read-only commands (stat, top, edges, check).
import { Command, Option } from "commander";
import { AdminSource } from "./admin-source";
import { PromSource } from "./prom-source";
import { CliError, Source, parseWindow } from "./source";
import { Output, colours, parseOutput } from "./format";
import { Filters } from "./model";

export const DEFAULT_ADMIN = "http://127.0.0.1:9990";
/** Where a fleet's Prometheus is looked for when no source is given and no proxy answers at DEFAULT_ADMIN (make demo runs one there). */
export const DEFAULT_PROMETHEUS = "http://127.0.0.1:9090";

export interface SourceOpts {
  admin?: string;
  prometheus?: string;
  window: string;
  output: string;
  topic?: string;
  group?: string;
  client?: string;
  api?: string;
  sort?: string;
}

/** --admin / --prometheus / -t; add filters and -o with the other helpers. */
export function withSource(cmd: Command, window = "1m"): Command {
  return cmd
    .addOption(new Option("--admin <url>", `a kscope proxy's admin endpoint (default ${DEFAULT_ADMIN})`).conflicts("prometheus"))
    .addOption(new Option("--prometheus <url>", "a Prometheus server scraping kscope proxies or Envoy sidecars: the whole fleet"))
    .option("-t, --window <duration>", "time window for rates and percentiles (e.g. 30s, 1m, 10m)", window);
}

export function withOutput(cmd: Command): Command {
  return cmd.option("-o, --output <format>", "table, wide (more columns) or json", "table");
}

export function withFilters(cmd: Command, which: (keyof Filters)[]): Command {
  const help: Record<keyof Filters, string> = {
    topic: "only this topic",
    group: "only this consumer group",
    client: "only this client id",
    api: "only this API (e.g. Produce)",
  };
  for (const f of which) cmd.option(`--${f} <name>`, help[f]);
  return cmd;
}

/** http://host:port from "host:port" or a URL. */
export function normaliseUrl(s: string): string {
  const u = /^[a-z]+:\/\//i.test(s) ? s : `http://${s}`;
  try {
    new URL(u);
  } catch {
    throw new CliError(`not a URL: "${s}"`, "e.g. http://127.0.0.1:9990");
  }
  return u.replace(/\/+$/, "");
}

export function sourceOf(o: SourceOpts): Source {
  const w = parseWindow(o.window);
  if (o.prometheus) return new PromSource(normaliseUrl(o.prometheus), w);
  return new AdminSource(normaliseUrl(o.admin ?? process.env.KSCOPE_ADMIN ?? DEFAULT_ADMIN), w);
}

/**
 * sourceOf, except that with no --admin/--prometheus (nor KSCOPE_ADMIN/KSCOPE_PROMETHEUS) and
 * nothing answering at DEFAULT_ADMIN, a Prometheus at DEFAULT_PROMETHEUS is used if it answers.
 */
export async function resolveSource(o: SourceOpts, defaults = { admin: DEFAULT_ADMIN, prometheus: DEFAULT_PROMETHEUS }): Promise<Source> {
  const env = process.env.KSCOPE_PROMETHEUS;
  if (!o.prometheus && !o.admin && env) return new PromSource(normaliseUrl(env), parseWindow(o.window));
  if (o.prometheus || o.admin || process.env.KSCOPE_ADMIN) return sourceOf(o);
  const src = new AdminSource(defaults.admin, parseWindow(o.window));
  try {
    await src.ping();
    return src;
  } catch (e) {
    const prom = new PromSource(defaults.prometheus, src.window);
    if (
      await prom.ping().then(
        () => true,
        () => false,
      )
    )
      return prom;
    if (!(e instanceof CliError)) throw e;
    throw new CliError(
      e.message,
      `no kscope proxy answers at ${defaults.admin} and no Prometheus at ${defaults.prometheus}: pass --admin URL or --prometheus URL (make demo runs a Prometheus at ${DEFAULT_PROMETHEUS})`,
      e.exitCode,
    );
  }
}

export function filtersOf(o: SourceOpts): Filters {
  return { topic: o.topic, group: o.group, client: o.client, api: o.api };
}

export function outputOf(o: SourceOpts): Output {
  try {
    return parseOutput(o.output);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** Wraps an action: a CliError prints its message and hint and exits with its code. */
export function action<A extends unknown[]>(fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await fn(...a);
    } catch (e) {
      const c = colours(!!process.stderr.isTTY && !process.env.NO_COLOR);
      if (e instanceof CliError) {
        process.stderr.write(`${c.red("kscope:")} ${e.message}\n${e.hint ? `  ${c.dim("hint:")} ${e.hint}\n` : ""}`);
        process.exit(e.exitCode);
      }
      throw e;
    }
  };
}

const text = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : JSON.stringify(v));

/** Sorts rows by a field (numbers descending, text ascending); unknown fields are an error. */
export function sortRows<R extends Record<string, unknown>>(rows: R[], field: string | undefined, fallback: string, fields: string[]): R[] {
  const f = field ?? fallback;
  if (!fields.includes(f)) throw new CliError(`cannot sort by "${f}"`, `sort by one of: ${fields.join(", ")}`);
  return [...rows].sort((a, b) => {
    const x = a[f],
      y = b[f];
    if (typeof x === "number" || typeof y === "number") return ((y as number) ?? -Infinity) - ((x as number) ?? -Infinity);
    return text(x).localeCompare(text(y));
  });
}
