// What `kscope tap` may show, through the real kscope.wasm in the host's VM: names, counts and
// sizes only. A SASL password and record payloads never reach an event; the streams of every
// recorded client produce events with only the allowed keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ProxyWasmVm } from "../../host/wasm/vm";
import { int16, int32, request, response, str } from "../support/frames";
import { loadFixtures } from "../support/fixtures";
import { TAP_EVENT_KEYS } from "../support/tap-keys";

const WASM = process.env.KSCOPE_WASM ?? path.join(__dirname, "..", "..", "..", "build", "kscope.wasm");
const CONN = { source: "127.0.0.1:40000", destination: "127.0.0.1:9092" };

type TapEvent = Record<string, unknown>;

function tapping(): { vm: ProxyWasmVm; events: string[] } {
  const vm = new ProxyWasmVm({ wasmPath: WASM, log: () => {} });
  const events: string[] = [];
  vm.shared.listen("kscope.tap", (d) => events.push(d.toString("utf8")));
  vm.shared.set("kscope.tap", Buffer.from("1"));
  return { vm, events };
}

/** A RecordBatch v2 of `records` records: the 61-byte header, then `payload` as the records' bytes. */
function batch(records: number, payload: Buffer): Buffer {
  const b = Buffer.concat([Buffer.alloc(61), payload]);
  b.writeInt32BE(b.length - 12, 8); // batch length
  b.writeInt8(2, 16); // magic
  b.writeInt32BE(records - 1, 23); // last offset delta
  b.writeBigInt64BE(-1n, 43); // producer id
  b.writeInt32BE(records, 57);
  return b;
}

test("a SASL password never reaches the tap, nor do record keys and values", () => {
  const { vm, events } = tapping();
  const c = vm.connect(CONN);
  const token = Buffer.from("\u0000alice\u0000s3cret-pass");
  const auth = Buffer.concat([Buffer.from([token.length + 1]), token, Buffer.from([0])]); // compact bytes, tags
  c.downstream(request(36, 2, 1, "login", true, auth));
  c.upstream(response(1, true, Buffer.concat([int16(0), Buffer.from([0, 1]), Buffer.alloc(8), Buffer.from([0])])));
  const records = batch(3, Buffer.from("KEY-ccn-4111111111111111 VALUE-private-payload"));
  c.downstream(
    request(
      0,
      3,
      2,
      "producer",
      false,
      Buffer.concat([int16(-1), int16(1), int32(30000), int32(1), str("orders"), int32(1), int32(0), int32(records.length), records]),
    ),
  );
  c.upstream(
    response(2, false, Buffer.concat([int32(1), str("orders"), int32(1), int32(0), int16(0), Buffer.alloc(8), Buffer.alloc(8), int32(0)])),
  );
  c.close();
  const all = events.join("\n");
  assert.equal(events.length, 4, all);
  for (const secret of ["s3cret", "alice\u0000", "4111111111111111", "private-payload"])
    assert.ok(!all.includes(secret), `"${secret}" in ${all}`);
  const req = events.map((e) => JSON.parse(e) as TapEvent).find((e) => e.ev === "req" && e.api === "Produce");
  assert.deepEqual([req?.topics, req?.records], [["orders"], 3], "the Produce request names its topic and counts its records");
});

test("every recorded client's traffic taps into events with names, counts and sizes only", () => {
  const { vm, events } = tapping();
  for (const f of loadFixtures()) {
    const c = vm.connect(CONN);
    c.downstream(f.req);
    c.upstream(f.resp);
    c.close();
  }
  assert.ok(events.length > 100, `${events.length} events`);
  const parsed = events.map((e) => JSON.parse(e) as TapEvent);
  for (const e of parsed)
    assert.deepEqual(
      Object.keys(e).filter((k) => !TAP_EVENT_KEYS.has(k)),
      [],
      JSON.stringify(e),
    );
  const has = (api: string, f: (e: TapEvent) => boolean) => parsed.some((e) => e.api === api && f(e));
  assert.ok(
    has("Produce", (e) => e.ev === "req" && Array.isArray(e.topics) && Number(e.records) > 0),
    "Produce requests with topics and records",
  );
  assert.ok(
    has("Fetch", (e) => e.ev === "rsp" && Number(e.records) > 0),
    "Fetch responses with records",
  );
  assert.ok(
    has("OffsetCommit", (e) => e.ev === "req" && typeof e.group === "string"),
    "group APIs name the group",
  );
  assert.ok(
    has("JoinGroup", (e) => e.ev === "rsp" && e.error === "MEMBER_ID_REQUIRED"),
    "errors by name",
  );
});
