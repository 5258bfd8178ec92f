// Loopback port helpers. Never use fixed ports: other test runs may share the machine.
import * as net from "node:net";

/** A port that was free on `host` a moment ago (listen on :0, read it, close). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const [port] = await freePorts(1, host);
  return port;
}

/** `n` distinct free ports: all listeners are held open together, so they cannot collide. */
export async function freePorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port: 0, host, exclusive: true }, () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

/** True if a TCP connection to host:port is accepted within `timeoutMs`. */
export function canConnect(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface WaitForPortOptions {
  host?: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked on every attempt; when it returns false the wait fails at once (e.g. process died). */
  isAlive?: () => boolean;
}

/** Polls until host:port accepts TCP connections. */
export async function waitForPort(port: number, opts: WaitForPortOptions = {}): Promise<void> {
  const { host = "127.0.0.1", timeoutMs = 30_000, intervalMs = 100, isAlive } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await canConnect(port, host, Math.min(1000, timeoutMs))) return;
    if (isAlive && !isAlive()) throw new Error(`gave up waiting for ${host}:${port}: process exited`);
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${host}:${port}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
