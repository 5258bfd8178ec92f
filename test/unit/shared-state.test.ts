// Figures for the whole proxy, not per VM, with two filter VMs sharing one SharedState and one
// metric store (as Envoy's worker VMs share proxy-wasm shared data and stats): label budgets
// admit at most max_label_values between them, and the recorded real-client connections spread
// over both VMs give the same high watermarks, committed offsets and lag as one VM given them all.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ProxyWasmVm } from "../../host/wasm/vm";
import { MetricStore } from "../../host/metrics/store";
import { SharedState } from "../../host/wasm/shared";
import { int16, int32, request, response, str } from "../support/frames";
import { loadCorpus } from "../fuzz/corpus";

const WASM = path.join(__dirname, "..", "..", "..", "build", "kscope.wasm");

/** Distinct client_id label values in the store's series (without "__other__"). */
function clientIds(m: MetricStore): Set<string> {
  const out = new Set<string>();
  for (const line of m.render().split("\n")) {
    const v = /client_id="([^"]*)"/.exec(line)?.[1];
    if (v !== undefined && v !== "__other__") out.add(v);
  }
  return out;
}

function run(sharedAcrossVms: boolean): Set<string> {
  const metrics = new MetricStore();
  const shared = new SharedState();
  const vms = [0, 1].map(
    () =>
      new ProxyWasmVm({
        wasmPath: WASM,
        configuration: '{"max_label_values":20}',
        metrics,
        shared: sharedAcrossVms ? shared : new SharedState(),
        log: () => undefined,
      }),
  );
  for (let i = 0; i < 300; i++) {
    const c = vms[i % 2].connect({ source: `10.0.0.1:${1000 + i}`, destination: "127.0.0.1:9092" });
    c.downstream(request(18, 0, i, `client-${i}`, false)); // ApiVersions v0
    c.close();
  }
  for (const vm of vms) vm.dispose();
  return clientIds(metrics);
}

test("a label budget holds across VMs that share data, and only then", () => {
  assert.equal(run(true).size, 20);
  assert.equal(run(false).size, 40); // per-VM budgets: what several Envoy workers did before
});

/** Lines of the cross-connection figures (lag seconds move with time: left out). */
function crossConnectionGauges(m: MetricStore): string[] {
  return m
    .render()
    .split("\n")
    .filter((l) =>
      /^kscope_(consumer_lag_records|group_committed_offset|partition_high_watermark|group_generation|group_members|group_rebalances_total|topic_partitions|partition_leader|fetched_records_total|fetched_bytes_total)\{/.test(
        l,
      ),
    )
    .sort();
}

async function replay(vms: number, sharedAcrossVms: boolean): Promise<string[]> {
  const metrics = new MetricStore();
  const shared = new SharedState();
  const all = Array.from(
    { length: vms },
    () => new ProxyWasmVm({ wasmPath: WASM, metrics, shared: sharedAcrossVms ? shared : new SharedState(), log: () => undefined }),
  );
  loadCorpus().forEach((conn, i) => {
    const c = all[i % vms].connect({ source: `10.0.0.2:${2000 + i}`, destination: "127.0.0.1:9092" });
    // exchange by exchange, so that every response finds its request
    for (let k = 0; k < Math.max(conn.requests.length, conn.responses.length); k++) {
      if (k < conn.requests.length) c.downstream(conn.requests[k]);
      if (k < conn.responses.length) c.upstream(conn.responses[k]);
    }
    c.close();
  });
  await new Promise((r) => setTimeout(r, 2500)); // every VM ticks twice: facts published, then taken in
  for (const vm of all) vm.dispose();
  return crossConnectionGauges(metrics);
}

test("connections spread over two VMs give the same lag, offsets, high watermarks, group members, generations, rebalances and fetched records by topic and group as one VM", async () => {
  const one = await replay(1, true);
  for (const name of ["kscope_consumer_lag_records", "kscope_group_members", "kscope_group_generation", "kscope_group_rebalances_total"]) {
    assert.ok(
      one.some((l) => l.startsWith(`${name}{`)),
      `the fixtures give ${name}:\n${one.join("\n")}`,
    );
  }
  assert.deepEqual(await replay(2, true), one);
  assert.notDeepEqual(await replay(2, false), one); // without shared facts each VM sees a part
});

/** A Metadata v7 response (not flexible; partitions carry leader epochs) for one topic. */
function metadataV7(correlationId: number, topic: string, leaders: { leader: number; epoch: number }[]): Buffer {
  const i32s = (xs: number[]): Buffer => Buffer.concat([int32(xs.length), ...xs.map(int32)]);
  const partitions = leaders.map((p, i) =>
    Buffer.concat([int16(0), int32(i), int32(p.leader), int32(p.epoch), i32s([p.leader]), i32s([p.leader]), i32s([])]),
  );
  const brokers = [1, 2, 3].map((id) => Buffer.concat([int32(id), str("127.0.0.1"), int32(9090 + id), str(null)]));
  return response(
    correlationId,
    false,
    Buffer.concat([
      int32(0), // throttle
      int32(brokers.length),
      ...brokers,
      str("cluster"),
      int32(1), // controller
      int32(1), // topics
      int16(0),
      str(topic),
      Buffer.from([0]), // is_internal
      int32(partitions.length),
      ...partitions,
    ]),
  );
}

/** Metadata v7 request for every topic. */
const metadataRequest = (correlationId: number): Buffer =>
  request(3, 7, correlationId, "meta-client", false, Buffer.concat([int32(-1), Buffer.from([1])]));

test("partitions and leaders: an answer from a broker whose metadata is behind does not overwrite what another VM learnt", async () => {
  const metrics = new MetricStore();
  const shared = new SharedState();
  const [a, b] = [0, 1].map(() => new ProxyWasmVm({ wasmPath: WASM, metrics, shared, log: () => undefined }));
  const answer = (vm: ProxyWasmVm, leaders: { leader: number; epoch: number }[]): void => {
    const c = vm.connect({ source: "10.0.0.3:3000", destination: "127.0.0.1:9092" });
    c.downstream(metadataRequest(1));
    c.upstream(metadataV7(1, "meta-topic", leaders));
    c.close();
  };
  const gauge = (name: string, partition?: number): number | undefined => {
    const line = metrics
      .render()
      .split("\n")
      .find(
        (l) =>
          l.startsWith(`${name}{`) &&
          l.includes('topic="meta-topic"') &&
          (partition === undefined || l.includes(`partition="${partition}"`)),
      );
    return line === undefined ? undefined : Number(line.split(" ").pop());
  };
  // VM a learns of 3 partitions, partition 0 led by broker 2 at epoch 5
  answer(a, [
    { leader: 2, epoch: 5 },
    { leader: 1, epoch: 3 },
    { leader: 3, epoch: 3 },
  ]);
  assert.equal(gauge("kscope_partition_leader", 0), 2);
  assert.equal(gauge("kscope_topic_partitions"), 3);
  // VM b then gets an older answer: 2 partitions, partition 0 led by broker 1 at epoch 4
  answer(b, [
    { leader: 1, epoch: 4 },
    { leader: 1, epoch: 3 },
  ]);
  assert.equal(gauge("kscope_partition_leader", 0), 2, "a lower leader epoch does not replace a higher one");
  assert.equal(gauge("kscope_topic_partitions"), 3, "a topic's partitions only grow");
  // a newer answer on VM b: partition 0 moves to broker 3 (epoch 6); a fourth partition
  answer(b, [
    { leader: 3, epoch: 6 },
    { leader: 1, epoch: 3 },
    { leader: 3, epoch: 3 },
    { leader: 2, epoch: 0 },
  ]);
  assert.equal(gauge("kscope_partition_leader", 0), 3);
  assert.equal(gauge("kscope_topic_partitions"), 4);
  await new Promise((r) => setTimeout(r, 1500)); // both VMs tick: they rewrite the gauges from shared data
  assert.equal(gauge("kscope_partition_leader", 0), 3);
  assert.equal(gauge("kscope_partition_leader", 3), 2);
  assert.equal(gauge("kscope_topic_partitions"), 4);
  a.dispose();
  b.dispose();
});
