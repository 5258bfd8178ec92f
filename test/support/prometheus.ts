// A real Prometheus server (Debian's `prometheus` package, /usr/bin/prometheus) on a free
// loopback port, scraping the given targets every second, with its TSDB in a temp dir.
import fs from "node:fs";
import path from "node:path";
import { freePort } from "./ports";
import { Proc, spawnProc, tempDir } from "./procs";

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";

export interface Prometheus {
  proc: Proc;
  url: string;
  /** Instant PromQL query; the vector's samples. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Resolves once every target has been scraped successfully at least `scrapes` times. */
  waitForScrapes(scrapes?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusTarget {
  address: string;
  metricsPath?: string;
  labels?: Record<string, string>;
  bearerToken?: string;
}

export async function startPrometheus(
  targets: PrometheusTarget[],
  opts: { scrapeInterval?: string; port?: number } = {},
): Promise<Prometheus> {
  if (!fs.existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} not found: apt-get install -y prometheus (or set PROMETHEUS_BIN)`);
  const dir = tempDir("prometheus");
  const port = opts.port ?? (await freePort());
  const interval = opts.scrapeInterval ?? "1s";
  const jobs = targets.map((t, i) =>
    [
      `  - job_name: kscope-${i}`,
      `    scrape_interval: ${interval}`,
      `    scrape_timeout: ${interval}`,
      `    metrics_path: ${t.metricsPath ?? "/metrics"}`,
      ...(t.bearerToken ? [`    authorization:`, `      credentials: ${JSON.stringify(t.bearerToken)}`] : []),
      `    static_configs:`,
      `      - targets: [${JSON.stringify(t.address)}]`,
      ...(t.labels ? [`        labels: ${JSON.stringify(t.labels)}`] : []),
    ].join("\n"),
  );
  const config = `global:\n  scrape_interval: ${interval}\n  evaluation_interval: ${interval}\nscrape_configs:\n${jobs.join("\n")}\n`;
  fs.writeFileSync(path.join(dir, "prometheus.yml"), config);
  const proc = spawnProc("prometheus", PROMETHEUS_BIN, [
    `--config.file=${path.join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${path.join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-lifecycle",
    "--log.level=warn",
  ]);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (!proc.running) throw new Error(`prometheus exited:\n${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`prometheus not ready after 30 s:\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const query = async (expr: string) => {
    const r = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (r.status !== "success") throw new Error(`PromQL ${expr}: ${r.error}`);
    return r.data.result;
  };
  return {
    proc,
    url,
    query,
    async waitForScrapes(scrapes = 2, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const up = await query(`count_over_time(up[1h])`).catch(() => []);
        const good = await query(`min_over_time(up[1h])`).catch(() => []);
        if (up.length === targets.length && up.every((x) => Number(x.value[1]) >= scrapes) && good.every((x) => x.value[1] === "1")) return;
        if (Date.now() > end) throw new Error(`prometheus: targets not scraped ${scrapes} times in ${timeoutMs} ms: ${JSON.stringify(up)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async stop() {
      await proc.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
