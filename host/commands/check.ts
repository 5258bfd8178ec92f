// `kscope check`: can the CLI reach its source, is the filter loaded, is the broker reachable.
import { Command } from "commander";
import { action, DEFAULT_ADMIN, normaliseUrl, withSource, SourceOpts } from "../cli/common";
import { authHeaders, getJson } from "../cli/admin-source";
import type { ProxyInfo } from "../admin/info";
import { PromSource } from "../cli/prom-source";
import { colours } from "../cli/format";
import * as M from "../../vocabulary/metrics";
import { CliError } from "../cli/source";

interface Result {
  check: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

async function attempt(check: string, fn: () => Promise<string>, hint?: string): Promise<Result> {
  try {
    return { check, ok: true, detail: await fn() };
  } catch (e) {
    return { check, ok: false, detail: e instanceof CliError ? e.message : (e as Error).message, hint: (e as CliError).hint ?? hint };
  }
}

async function adminChecks(base: string): Promise<Result[]> {
  const out: Result[] = [];
  let info: ProxyInfo | undefined;
  out.push(
    await attempt("admin endpoint reachable", async () => {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(3000) }).catch(
        (e: Error & { cause?: { code?: string } }) => {
          throw new CliError(`cannot reach ${base} (${e.cause?.code ?? e.message})`, "is `kscope proxy` running? pass --admin HOST:PORT");
        },
      );
      // 503: the proxy answers but its upstream does not (the "broker reachable" check says why).
      if (!res.ok && res.status !== 503) throw new Error(`${base}/healthz answered HTTP ${res.status}`);
      info = await getJson<ProxyInfo>(`${base}/api/info`, "the kscope admin endpoint", "is this a kscope proxy of this version?");
      return `${base} (kscope ${info.version}, up ${Math.round(info.uptimeSeconds)}s)`;
    }),
  );
  if (!info) return out;
  out.push({
    check: "filter loaded",
    ok: info.filter,
    detail: info.filter ? `kscope.wasm observing ${info.listen}` : "proxy runs with --no-filter: bytes are forwarded, nothing is measured",
    hint: info.filter ? undefined : "restart `kscope proxy` without --no-filter",
  });
  out.push({
    check: "broker reachable",
    ok: info.upstreamReachable,
    detail: info.upstreamReachable ? `upstream ${info.upstream} accepts connections` : `upstream ${info.upstream}: ${info.upstreamError}`,
    hint: info.upstreamReachable ? undefined : "check --upstream of `kscope proxy` and that the broker is up",
  });
  out.push(
    await attempt(
      "metrics exported",
      async () => {
        const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(3000), headers: authHeaders() })).text();
        if (!text.includes(M.connectionsTotal)) throw new Error("no kscope_* series yet");
        const conns = new RegExp(`^${M.connectionsTotal}(?:\\{[^}]*\\})? (\\S+)`, "m").exec(text);
        return `${info!.series} series, ${conns ? conns[1] : 0} connections so far`;
      },
      "no client has connected through the proxy yet",
    ),
  );
  out.push(
    await attempt(
      "history for rates",
      async () => `${info!.history.intervalSeconds}s snapshots, ${info!.history.retentionSeconds / 60}m kept (longest -t window)`,
    ),
  );
  return out;
}

async function promChecks(base: string): Promise<Result[]> {
  const src = new PromSource(base, 60);
  const out: Result[] = [];
  let targets: Awaited<ReturnType<PromSource["targets"]>> | undefined;
  out.push(
    await attempt("prometheus reachable", async () => {
      targets = await src.targets();
      return `${base}, ${targets.length} targets`;
    }),
  );
  if (!targets) return out;
  const up = targets.filter((t) => t.up);
  out.push({
    check: "targets up",
    ok: targets.length > 0 && up.length === targets.length,
    detail: `${up.length}/${targets.length} up${
      targets.length > up.length
        ? `; down: ${targets
            .filter((t) => !t.up)
            .map((t) => t.instance)
            .join(", ")}`
        : ""
    }`,
    hint: "check the scrape config and that each proxy's admin port is reachable from Prometheus",
  });
  const ks = targets.filter((t) => t.kscope);
  out.push({
    check: "kscope metrics scraped",
    ok: ks.length > 0,
    detail: ks.length
      ? `${ks.length} target(s) export kscope_*: ${ks.map((t) => t.instance).join(", ")}`
      : `no target exports ${M.connectionsTotal}`,
    hint: "scrape kscope proxies at /metrics, or Envoy at /stats/prometheus with the stats_tags from examples/envoy",
  });
  return out;
}

export function checkCommand(): Command {
  const cmd = new Command("check").description(
    "check that the admin endpoint or Prometheus answers, the filter is loaded and the broker is reachable",
  );
  withSource(cmd).option("-o, --output <format>", "text or json", "text");
  return cmd
    .addHelpText(
      "after",
      `
Examples:
  kscope check                                  # the proxy at ${DEFAULT_ADMIN}
  kscope check --admin 10.0.0.7:9990
  kscope check --prometheus http://prometheus:9090

Each check prints one line, √ or ×, with a hint when it fails. Exit code 0 when all pass, 4 otherwise.`,
    )
    .action(
      action(async (o: SourceOpts) => {
        const results = o.prometheus
          ? await promChecks(normaliseUrl(o.prometheus))
          : await adminChecks(normaliseUrl(o.admin ?? process.env.KSCOPE_ADMIN ?? DEFAULT_ADMIN));
        const ok = results.every((r) => r.ok);
        if (o.output === "json") process.stdout.write(JSON.stringify({ ok, checks: results }, null, 2) + "\n");
        else {
          const c = colours();
          for (const r of results) {
            process.stdout.write(`${r.ok ? c.green("√") : c.red("×")} ${r.check}: ${r.detail}\n`);
            if (!r.ok && r.hint) process.stdout.write(`    ${c.dim("hint:")} ${r.hint}\n`);
          }
          process.stdout.write(ok ? `${c.green("Status check results are √")}\n` : `${c.red("Status check results are ×")}\n`);
        }
        if (!ok) process.exit(4);
      }),
    );
}
