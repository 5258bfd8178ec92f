// Starts `kscope proxy` (the real CLI, as a user runs it) on free loopback ports.
import path from "node:path";
import { freePort } from "./ports";
import { Proc, spawnProc } from "./procs";
import { Sample, scrape } from "../../host/metrics/scrape";

export const ROOT = path.join(__dirname, "..", "..", "..");
export const CLI = path.join(ROOT, "dist", "host", "cli.js");

export interface Kscope {
  proc: Proc;
  listenPort: number;
  adminPort: number;
  bootstrap: string;
  admin: string;
  metrics(): Promise<Sample[]>;
  stop(): Promise<void>;
}

export async function startKscope(opts: {
  upstream: string;
  listenPort?: number;
  config?: object;
  filter?: boolean;
  wasm?: string;
  http?: boolean;
  args?: string[];
}): Promise<Kscope> {
  const listenPort = opts.listenPort ?? (await freePort());
  const adminPort = await freePort();
  const args = [CLI, "proxy", "--listen", `127.0.0.1:${listenPort}`, "--upstream", opts.upstream, "--admin", `127.0.0.1:${adminPort}`];
  if (opts.config) args.push("--config", JSON.stringify(opts.config));
  if (opts.filter === false) args.push("--no-filter");
  if (opts.wasm) args.push("--wasm", opts.wasm);
  if (opts.http) args.push("--http");
  if (opts.args) args.push(...opts.args);
  // KSCOPE_NODE_FLAGS: flags for the proxy's node (e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile it in a benchmark).
  const flags = (process.env.KSCOPE_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const proc = spawnProc("kscope", process.execPath, [...flags, ...args]);
  await proc.waitForPort(adminPort, 15_000);
  await proc.waitForPort(listenPort, 15_000);
  const admin = `http://127.0.0.1:${adminPort}`;
  return {
    proc,
    listenPort,
    adminPort,
    admin,
    bootstrap: `127.0.0.1:${listenPort}`,
    metrics: () => scrape(`${admin}/metrics`),
    stop: async () => {
      await proc.kill("SIGTERM");
    },
  };
}
