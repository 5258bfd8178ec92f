// Whether the broker behind the proxy answers: probed by TCP connect at start and every few
// seconds, and told by every client connection's upstream connect. A change is logged once
// (not per client), and /healthz reports the current state.
import net from "node:net";

/** Connects once; resolves undefined when the upstream accepts, else why not. */
export function reachable(host: string, port: number, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (err?: string) => {
      s.destroy();
      resolve(err);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    s.once("connect", () => done());
    s.once("error", (e) => done(e.message));
  });
}

export class UpstreamHealth {
  /** undefined until the first probe or connection says. */
  reachable: boolean | undefined;
  error = "";
  private timer?: NodeJS.Timeout;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly log: (msg: string) => void = (m) => console.error(m),
  ) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** A connect to the upstream succeeded (ok) or failed with `error`. */
  report(ok: boolean, error = ""): void {
    if (ok === this.reachable && (ok || error === this.error)) return;
    const was = this.reachable;
    this.reachable = ok;
    this.error = ok ? "" : error;
    if (ok) {
      if (was === false) this.log(`kscope: upstream ${this.address} reachable again`);
    } else this.log(`kscope: upstream ${this.address} unreachable (${error}): client connections are closed until it answers`);
  }

  /** Probes now and then every `intervalMs` (the timer does not keep the process alive). */
  watch(intervalMs = 5000): this {
    const probe = (): void => {
      void reachable(this.host, this.port).then((err) => this.report(err === undefined, err));
    };
    probe();
    this.timer = setInterval(probe, intervalMs).unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** For /healthz: 200 with "ok", or 503 saying why. */
  health(): { ok: boolean; text: string } {
    if (this.reachable === false) return { ok: false, text: `upstream ${this.address} unreachable: ${this.error}` };
    return { ok: true, text: this.reachable ? "ok" : "ok (upstream not probed yet)" };
  }
}
