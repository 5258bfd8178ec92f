// The demo as a small real system, started by `make demo` (./main.ts) and by the topology
// integration test alike:
//
//   loadgen ──HTTP──▶ web ──produce──▶ [orders] ──▶ (billing) ×2 ──HTTP──▶ payments
//                                              └──▶ (audit), slow: it lags
//
// Every Kafka and HTTP hop goes through a `kscope proxy` carrying the identity of the service
// it serves (like a sidecar): the Kafka clients of web, billing and audit each reach the broker
// through their own proxy (one broker listener per proxy, advertised at that proxy, or clients
// would bypass it after bootstrap); each HTTP call leaves through the caller's HTTP proxy
// (reporter "source") and arrives through the callee's (reporter "destination"), which name each
// other with kscope's x-kscope-* headers. A real Prometheus scrapes every proxy and joins their views.
import path from "node:path";
import { startKafka, Broker } from "../../test/support/kafka";
import { startKscope, Kscope, ROOT } from "../../test/support/kscope";
import { freePorts } from "../../test/support/ports";
import { Proc, spawnProc } from "../../test/support/procs";
import { Prometheus, startPrometheus } from "../../test/support/prometheus";

export const NAMESPACE = "shop";
export const TOPIC = "orders";

export interface DemoOptions {
  /** Orders per second the load generator sends (default 10). */
  rate?: number;
  /** Milliseconds audit spends per record (default 250: 4 records/s, so it lags). */
  auditDelayMs?: number;
  /** payments answers 503 to every n-th request (default 20; 0: never). */
  paymentsFailEvery?: number;
  /** Prometheus' port (default: a free one; make demo uses 9090, where the CLI looks by default). */
  prometheusPort?: number;
}

/** A service process and the STATUS lines it prints (./service.ts). */
export class Service {
  constructor(
    readonly name: string,
    readonly proc: Proc,
  ) {}
  statuses(): Record<string, unknown>[] {
    return this.proc
      .log()
      .split("\n")
      .filter((l) => l.startsWith("STATUS "))
      .map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>);
  }
  last(): Record<string, unknown> | undefined {
    return this.statuses().at(-1);
  }
  async stop(): Promise<void> {
    await this.proc.kill("SIGTERM", 15_000);
  }
}

export interface Demo {
  broker: Broker;
  /** The Kafka proxies, by the workload they serve. */
  kafkaProxies: Record<string, Kscope>;
  /** The HTTP proxies: `<workload>-in` in front of a server, `<workload>-out` in front of a caller. */
  httpProxies: Record<string, Kscope>;
  prometheus: Prometheus;
  services: Record<"payments" | "web" | "billing1" | "billing2" | "audit" | "loadgen", Service>;
  options: Required<DemoOptions>;
  stop(): Promise<void>;
}

const SERVICES = path.join(ROOT, "dist", "examples", "demo");

function service(name: string, file: string, env: Record<string, string | number>): Service {
  const vars: NodeJS.ProcessEnv = { ...process.env, SERVICE: name };
  for (const [k, v] of Object.entries(env)) vars[k] = String(v);
  return new Service(name, spawnProc(`demo-${name}`, process.execPath, [path.join(SERVICES, `${file}.js`)], { env: vars }));
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const options: Required<DemoOptions> = { rate: 10, auditDelayMs: 250, paymentsFailEvery: 20, prometheusPort: 0, ...opts };
  const kafkaClients = ["web", "billing", "audit"];
  const ports = await freePorts(kafkaClients.length);
  const proxyPorts = Object.fromEntries(kafkaClients.map((w, i) => [w, ports[i]]));
  const listenerOf = (w: string) => `KSCOPE_${w.toUpperCase()}`;
  const broker = await startKafka({
    listeners: Object.fromEntries(kafkaClients.map((w) => [listenerOf(w), `127.0.0.1:${proxyPorts[w]}`])),
  });
  const started: { stop(): Promise<void> }[] = [broker];
  try {
    await broker.createTopic(TOPIC, 3);
    const kafkaProxies: Record<string, Kscope> = {};
    await Promise.all(
      kafkaClients.map(async (w) => {
        kafkaProxies[w] = await startKscope({
          upstream: `127.0.0.1:${broker.listenerPorts[listenerOf(w)]}`,
          listenPort: proxyPorts[w],
          config: { workload: w, namespace: NAMESPACE },
        });
        started.push(kafkaProxies[w]);
      }),
    );
    const [paymentsPort, webPort] = await freePorts(2);
    const httpProxies: Record<string, Kscope> = {};
    const httpProxy = async (name: string, workload: string, upstream: number, reporter?: string) => {
      const k = await startKscope({
        http: true,
        upstream: `127.0.0.1:${upstream}`,
        config: { workload, namespace: NAMESPACE, ...(reporter ? { reporter } : {}) },
      });
      started.push(k);
      httpProxies[name] = k;
      return k;
    };
    const kafkaOf = (w: string) => ({ KAFKA: kafkaProxies[w].bootstrap });
    const payments = service("payments", "payments", { PORT: paymentsPort, FAIL_EVERY: options.paymentsFailEvery });
    const web = service("web", "web", { PORT: webPort, TOPIC, ...kafkaOf("web") });
    await Promise.all([payments.proc.waitForPort(paymentsPort), web.proc.waitForPort(webPort)]);
    const [paymentsIn, webIn] = await Promise.all([
      httpProxy("payments-in", "payments", paymentsPort),
      httpProxy("web-in", "web", webPort),
    ]);
    const [billingOut, loadgenOut] = await Promise.all([
      httpProxy("billing-out", "billing", paymentsIn.listenPort, "source"),
      httpProxy("loadgen-out", "loadgen", webIn.listenPort, "source"),
    ]);
    const prometheus = await startPrometheus(
      [...Object.values(kafkaProxies), ...Object.values(httpProxies)].map((k) => ({ address: `127.0.0.1:${k.adminPort}` })),
      options.prometheusPort ? { port: options.prometheusPort } : {},
    );
    started.push(prometheus);
    const consumer = (name: string, env: Record<string, string | number>) => service(name, "consumer", { TOPIC, ...env });
    const billing1 = consumer("billing-1", {
      GROUP: "billing",
      CLIENT_ID: "billing-1",
      PAYMENTS: `http://${billingOut.bootstrap}/pay`,
      ...kafkaOf("billing"),
    });
    const billing2 = consumer("billing-2", {
      GROUP: "billing",
      CLIENT_ID: "billing-2",
      PAYMENTS: `http://${billingOut.bootstrap}/pay`,
      ...kafkaOf("billing"),
    });
    const audit = consumer("audit", {
      GROUP: "audit",
      CLIENT_ID: "audit",
      DELAY_MS: options.auditDelayMs,
      MAX_BYTES: 1024,
      ...kafkaOf("audit"),
    });
    const loadgen = service("loadgen", "loadgen", { TARGET: `http://${loadgenOut.bootstrap}/orders`, RATE: options.rate });
    const services = { payments, web, billing1, billing2, audit, loadgen };
    // Stop in the order work flows: the load first, the servers last.
    const order = [loadgen, audit, billing1, billing2, web, payments];
    return {
      broker,
      kafkaProxies,
      httpProxies,
      prometheus,
      services,
      options,
      async stop() {
        await Promise.allSettled(order.map((s) => s.stop()));
        await Promise.allSettled(started.reverse().map((s) => s.stop()));
      },
    };
  } catch (e) {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    throw e;
  }
}
