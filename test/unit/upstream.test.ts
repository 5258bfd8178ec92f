// `kscope proxy` when the network is not what it expects (the real CLI, no broker needed): the
// upstream unreachable at start or gone later (a clear log line, /healthz 503 with the reason,
// clients closed at once rather than left hanging), and the admin port already taken.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { spawnSync } from "node:child_process";
import { freePort } from "../support/ports";
import { CLI, startKscope } from "../support/kscope";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function healthz(admin: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${admin}/healthz`);
  return { status: r.status, body: await r.text() };
}

async function eventually<T>(get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

/** Connects, sends a few bytes, and resolves how the connection ended and after how long. */
function tryClient(port: number, timeoutMs = 5000): Promise<{ closed: boolean; ms: number; got: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, ms: Date.now() - t0, got });
    }, timeoutMs);
    s.on("connect", () => s.write("ping"));
    s.on("data", (b) => {
      got += b.toString();
      if (got === "ping") {
        clearTimeout(timer);
        s.destroy();
        resolve({ closed: false, ms: Date.now() - t0, got });
      }
    });
    s.on("close", () => {
      clearTimeout(timer);
      resolve({ closed: true, ms: Date.now() - t0, got });
    });
    s.on("error", () => undefined);
  });
}

/** An echo server standing in for the broker (the test is about reachability, not Kafka). */
async function echoServer(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test("upstream unreachable at start, then up, then gone: log lines, /healthz, clients closed not hanging", async () => {
  const upstreamPort = await freePort();
  const k = await startKscope({ upstream: `127.0.0.1:${upstreamPort}`, args: ["--probe-interval", "0.3"] });
  try {
    await k.proc.waitForLog(`kscope: upstream 127.0.0.1:${upstreamPort} unreachable (connect ECONNREFUSED`, 5000);
    const down = await eventually(
      () => healthz(k.admin),
      (h) => h.status === 503,
    );
    assert.equal(down.status, 503);
    assert.match(down.body, new RegExp(`upstream 127.0.0.1:${upstreamPort} unreachable: connect ECONNREFUSED`));
    const c1 = await tryClient(k.listenPort);
    assert.equal(c1.closed, true, "the client's connection is closed");
    assert.ok(c1.ms < 2000, `closed after ${c1.ms} ms`);

    const broker = await echoServer(upstreamPort);
    const up = await eventually(
      () => healthz(k.admin),
      (h) => h.status === 200,
    );
    assert.deepEqual(up, { status: 200, body: "ok\n" });
    await k.proc.waitForLog(`kscope: upstream 127.0.0.1:${upstreamPort} reachable again`, 5000);
    const c2 = await tryClient(k.listenPort);
    assert.deepEqual([c2.closed, c2.got], [false, "ping"], "bytes flow once the upstream answers");

    await broker.close(); // the upstream goes away later
    const gone = await eventually(
      () => healthz(k.admin),
      (h) => h.status === 503,
    );
    assert.equal(gone.status, 503);
    const c3 = await tryClient(k.listenPort);
    assert.equal(c3.closed, true);
    assert.equal((k.proc.log().match(/unreachable \(/g) ?? []).length, 2, "one log line per change, not one per probe or client");
  } finally {
    await k.stop();
  }
});

test("kscope proxy exits 1 when the admin port is taken, naming the option", async () => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const r = spawnSync(
      process.execPath,
      [CLI, "proxy", "--upstream", "127.0.0.1:9", "--listen", `127.0.0.1:${await freePort()}`, "--admin", `127.0.0.1:${port}`],
      { encoding: "utf8", timeout: 20_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`kscope: --admin 127.0.0.1:${port}: address already in use`));
    assert.doesNotMatch(r.stdout, /kscope proxy:/);
  } finally {
    taken.close();
  }
});
