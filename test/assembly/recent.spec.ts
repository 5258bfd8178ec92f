// State keyed by client ids forgets what is no longer used instead of filling up for good
// (assembly/filter/recent.ts): a soak with 10,000 client ids, or a proxy that lives long enough,
// must still learn a new consumer's group.
import { RecentMap } from "../../assembly/filter/recent";
import { MetricType } from "../../assembly/abi/enums";
import { MetricsObserver } from "../../assembly/filter/observer";
import { KafkaSession } from "../../assembly/kafka/session";
import { MemorySource } from "../../assembly/kafka/bytes";
import { ApiMetrics, ConnectionMetrics } from "../../assembly/metrics/kafka";
import { label, series } from "../../assembly/metrics/registry";
import { b64, conns } from "./support";
import { request } from "./wire";

@external("env", "proxy_get_metric")
declare function proxy_get_metric(id: u32, out: usize): u32;

const OUT = memory.data(8);
function counter(name: string, labels: string): i64 {
  proxy_get_metric(series(MetricType.Counter, name, labels), OUT);
  return load<i64>(OUT);
}

describe("RecentMap", () => {
  it("keeps the keys used within the last `half` new keys and forgets older ones", () => {
    const m = new RecentMap<i32>(100);
    m.set("kept", 1);
    for (let i = 0; i < 1000; i++) {
      m.set("k" + i.toString(), i);
      if (i % 50 == 0) expect(m.get("kept")).toBe(1); // used: copied into the young generation
    }
    expect(m.has("kept")).toBe(true);
    expect(m.has("k999")).toBe(true);
    expect(m.has("k900")).toBe(true, "within the last `half` new keys");
    expect(m.has("k699")).toBe(false, "forgotten");
    expect(m.size).toBeLessThanOrEqual(201);
  });
});

const HEARTBEAT = 12;

/** Heartbeat v4 of `client` in `group` (the observer learns the client's group from it). */
function heartbeat(client: string, group: string): MemorySource {
  return request(HEARTBEAT, 4, 1, client, true).cstr(group).i32(1).cstr("m").cstr(null).tags().frame();
}

describe("metrics observer", () => {
  it("attributes a consumer's fetches to its group after 10,000 other consumers came and went", () => {
    const obs = new MetricsObserver("", new ConnectionMetrics(), new ApiMetrics());
    for (let i = 0; i < 10000; i++) {
      const s = new KafkaSession(obs);
      s.feedRequests(heartbeat("gone-" + i.toString(), "gone-group-" + (i % 7).toString()));
      s.dispose();
    }
    // The recorded traffic: kjs-app joins kjsgroup and fetches 121 records of orders.
    const all = conns("");
    for (let i = 0; i < all.length; i++) {
      const s = new KafkaSession(obs);
      const req = b64(all[i][1]),
        resp = b64(all[i][2]);
      s.feedRequests(new MemorySource(req.ptr, req.len));
      s.feedResponses(new MemorySource(resp.ptr, resp.len));
      s.dispose();
    }
    // kjs-app is past the client id budget (__other__); its group is still known.
    const at = label("topic", "orders") + label("group", "kjsgroup") + label("client_id", "__other__");
    expect(counter("kscope_fetched_records_total", at)).toBe(121);
  });
});
