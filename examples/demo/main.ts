// `make demo`: starts the demo system (./system.ts), prints `kscope topology` once the graph has
// filled, then runs until Ctrl-C (or for DEMO_SECONDS seconds).
import { execFileSync } from "node:child_process";
import { CLI } from "../../test/support/kscope";
import { spawnProc } from "../../test/support/procs";
import { startDemo } from "./system";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CLI as a user runs it; KSCOPE_PROMETHEUS only matters when PROMETHEUS_PORT moved it off 9090. */
function kscope(args: string[], prometheus: string): string {
  try {
    return execFileSync(process.execPath, [CLI, ...args], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, KSCOPE_PROMETHEUS: prometheus },
    });
  } catch (e) {
    return `(kscope ${args.join(" ")}: ${(e as Error).message})\n`;
  }
}

async function main(): Promise<void> {
  console.log("demo: starting Kafka, one kscope proxy per service, Prometheus and the services…");
  const demo = await startDemo({ prometheusPort: Number(process.env.PROMETHEUS_PORT ?? 9090) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\ndemo: stopping");
    await Promise.allSettled([ui.kill("SIGTERM"), demo.stop()]);
    process.exit(0);
  };
  // The dashboard over the demo's Prometheus: every proxy's view joined, like the CLI's.
  const dashboard = `127.0.0.1:${process.env.DASHBOARD_PORT ?? 9991}`;
  const ui = spawnProc("dashboard", process.execPath, [CLI, "dashboard", "--prometheus", demo.prometheus.url, "--listen", dashboard]);
  await ui.waitForPort(Number(dashboard.split(":")[1]), 15_000);
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  const list = (m: Record<string, { bootstrap: string; admin: string }>) =>
    Object.entries(m)
      .map(([w, k]) => `${w} ${k.bootstrap} (admin ${k.admin})`)
      .join(", ");
  console.log(`demo: running.
  dashboard:     http://${dashboard}/   (kscope dashboard over the demo's Prometheus)
  Kafka proxies: ${list(demo.kafkaProxies)}
  HTTP proxies:  ${list(demo.httpProxies)}
  Prometheus:    ${demo.prometheus.url} (scrapes every proxy)
  try:           ./kscope topology      ./kscope edges      ./kscope stat groups --prometheus ${demo.prometheus.url}
  stop:          Ctrl-C`);
  await sleep(Number(process.env.DEMO_WARMUP_SECONDS ?? 40) * 1000);
  console.log("\n$ kscope topology");
  process.stdout.write(kscope(["topology"], demo.prometheus.url));
  console.log("\n$ kscope edges");
  process.stdout.write(kscope(["edges"], demo.prometheus.url));
  if (process.env.DEMO_SECONDS) {
    await sleep(Number(process.env.DEMO_SECONDS) * 1000);
    await stop();
  }
}

main().catch((e: Error) => {
  console.error(`demo: ${e.stack ?? e.message}`);
  process.exit(1);
});
