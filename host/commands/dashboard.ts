// `kscope dashboard`: the web dashboard over a Prometheus server that scrapes a fleet of kscope
// proxies and Envoy sidecars; the same pages and JSON API as a proxy's admin endpoint, with every
// number a PromQL query (host/cli/prom-source.ts). No tap: that needs one proxy.
import { Command } from "commander";
import { parseAddress } from "../address";
import { ADMIN_TOKEN_ENV, startAdmin } from "../admin/server";
import { adminRoutes } from "../admin/routes";
import { assets } from "../admin/assets";
import { DashboardData } from "../admin/data";
import { VERSION } from "../version";
import { PromSource } from "../cli/prom-source";
import { normaliseUrl } from "../cli/common";

export function dashboardCommand(): Command {
  return new Command("dashboard")
    .description("serve the web dashboard over a Prometheus server (a fleet of proxies and sidecars)")
    .requiredOption("--prometheus <url>", "the Prometheus server scraping kscope proxies or Envoy sidecars")
    .option("--listen <host:port>", "where the dashboard listens; loopback by default", "127.0.0.1:9991")
    .option("--admin-token <token>", `require this bearer token (all but /healthz); default $${ADMIN_TOKEN_ENV}`)
    .addHelpText(
      "after",
      `
Examples:
  kscope dashboard --prometheus http://127.0.0.1:9090          # then open http://127.0.0.1:9991/

A proxy serves the same dashboard on its own admin address (kscope proxy --admin).`,
    )
    .action(async (o: { prometheus: string; listen: string; adminToken?: string }) => {
      const prom = normaliseUrl(o.prometheus);
      const data = new DashboardData((window, at) => new PromSource(prom, window, at), `prometheus ${prom}`, 3600, Date.now, 20);
      const info = () => Promise.resolve({ version: VERSION, source: `prometheus ${prom}` });
      const token = o.adminToken ?? (process.env[ADMIN_TOKEN_ENV] || undefined);
      await startAdmin({ ...parseAddress(o.listen), token, routes: adminRoutes({ info, data }), fallback: assets() });
      console.log(`kscope dashboard: http://${o.listen}/ over prometheus ${prom}`);
    });
}
