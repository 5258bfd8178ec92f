// What the real Envoy does when a network filter's VM traps, with the failure policies a user can
// choose. build/trap.wasm traps on a connection whose first byte is 0xEE and counts the chunks of
// other connections; the upstream echoes. The README's "after a trap" section states these results.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { startEnvoy, repoRoot, parsePrometheus, sumSamples } from "../support/envoy";

const TRAP_WASM = path.join(repoRoot, "build", "trap.wasm");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `data` through a new connection and returns what came back before the other side closed or `ms` passed. */
function roundTrip(port: number, data: Buffer, ms = 1500): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.write(data));
    const done = () => {
      s.destroy();
      resolve(Buffer.concat(got));
    };
    s.on("data", (d) => {
      got.push(d);
      if (Buffer.concat(got).length >= data.length) done();
    });
    s.on("error", done);
    s.on("close", done);
    setTimeout(done, ms);
  });
}

async function echoServer(): Promise<net.Server> {
  const srv = net.createServer((s) => {
    s.on("error", () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return srv;
}

for (const policy of ["FAIL_OPEN", "FAIL_RELOAD"] as const) {
  test(`Envoy ${policy}: traffic keeps flowing after the filter traps`, async () => {
    const echo = await echoServer();
    const upstream = `127.0.0.1:${(echo.address() as net.AddressInfo).port}`;
    const envoy = await startEnvoy({ upstream, wasmPath: TRAP_WASM, failurePolicy: policy, name: `envoy-trap-${policy}` });
    try {
      const chunks = async () => sumSamples(parsePrometheus(await envoy.prometheus()), "trap_test_chunks_total");
      const hello = Buffer.from("hello through the filter");
      assert.ok((await roundTrip(envoy.listenPort, hello)).equals(hello));
      assert.equal(await chunks(), 1);

      const poison = Buffer.concat([Buffer.from([0xee]), Buffer.from(" trap")]);
      const afterTrap = await roundTrip(envoy.listenPort, poison);
      await sleep(1500); // past Envoy's default 1 s reload backoff
      const later = await roundTrip(envoy.listenPort, hello);
      const observed = await chunks();
      console.log(
        `${policy}: trapping connection got ${afterTrap.length}/${poison.length} bytes back; a later connection ${later.length}/${hello.length}; chunks counted ${observed}`,
      );
      assert.ok(later.equals(hello), "a connection after the trap is forwarded intact");
      if (policy === "FAIL_RELOAD") assert.equal(observed, 2, "a reloaded VM observes the later connection");
      else assert.equal(observed, 1, "FAIL_OPEN: the failed VM is bypassed, nothing more is observed");
    } finally {
      await envoy.stop();
      echo.close();
    }
  });
}
