// Lag arithmetic and the metrics observer over recorded traffic (gauge values read back from the
// as-pect host stub, where proxy_record_metric sets and proxy_increment_metric adds, as in Envoy).
import { MetricType } from "../../assembly/abi/enums";
import { MetricsObserver } from "../../assembly/filter/observer";
import { Exchange, KafkaSession, SessionObserver, Undecoded } from "../../assembly/kafka/session";
import { GiveUp } from "../../assembly/kafka/framer";
import { apiName } from "../../assembly/kafka/header";
import { MemorySource } from "../../assembly/kafka/bytes";
import { ApiMetrics, ConnectionMetrics, errorName } from "../../assembly/metrics/kafka";
import { LagTracker } from "../../assembly/metrics/lag";
import { label } from "../../assembly/metrics/registry";
import { b64, conns, metricValue } from "./support";

function value(type: MetricType, name: string, labels: string): i64 {
  return metricValue(type, name, labels);
}
function gpt(group: string, topic: string, p: i32): string {
  return label("group", group) + label("topic", topic) + label("partition", p.toString());
}
const S: u64 = 1000000000;

/** Counts requests and responses with errors per (client id, API) straight off the session. */
class PerClient extends SessionObserver {
  keys: string[] = [];
  requests: Map<string, i64> = new Map();
  errors: Map<string, i64> = new Map();
  now(): u64 {
    return 0;
  }
  private add(m: Map<string, i64>, ex: Exchange): void {
    const k = ex.clientId + "\n" + ex.apiKey.toString();
    if (!this.requests.has(k)) {
      this.keys.push(k);
      this.requests.set(k, 0);
      this.errors.set(k, 0);
    }
    m.set(k, m.get(k) + 1);
  }
  request(ex: Exchange): void {
    this.add(this.requests, ex);
  }
  response(ex: Exchange): void {
    const r = ex.response;
    if (r != null && r.errors.length > 0) this.add(this.errors, ex);
  }
  abandoned(ex: Exchange): void {}
  undecoded(response: bool, reason: Undecoded): void {}
  gaveUp(reason: GiveUp): void {}
}

describe("lag", () => {
  it("lag in records is HW - committed; in seconds, the time since the HW passed the committed offset", () => {
    const lag = new LagTracker();
    lag.highWatermark("lt", 0, 100, 1 * S);
    lag.highWatermark("lt", 0, 150, 3 * S);
    lag.committed("g", "lt", 0, 90, 4 * S);
    const l = gpt("g", "lt", 0);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_records", l)).toBe(60);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_seconds", l)).toBe(3); // HW passed 90 at t=1
    lag.refresh(9 * S, true);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_seconds", l)).toBe(8);
    lag.committed("g", "lt", 0, 120, 10 * S);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_seconds", l)).toBe(7); // HW passed 120 at t=3
    lag.committed("g", "lt", 0, 150, 11 * S);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_records", l)).toBe(0);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_seconds", l)).toBe(0);
    expect(value(MetricType.Gauge, "kscope_group_committed_offset", l)).toBe(150);
    expect(value(MetricType.Gauge, "kscope_partition_high_watermark", label("topic", "lt") + label("partition", "0"))).toBe(150);
  });

  it("keeps the history bounded and errs towards less lag", () => {
    const lag = new LagTracker();
    for (let i = 1; i <= 1000; i++) lag.highWatermark("lb", 0, i * 10, <u64>i * S);
    lag.committed("g", "lb", 0, 0, 1000 * S);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_seconds", gpt("g", "lb", 0))).toBe(999);
    lag.committed("g", "lb", 0, 5000, 1000 * S);
    const secs = value(MetricType.Gauge, "kscope_consumer_lag_seconds", gpt("g", "lb", 0));
    expect(secs).toBeLessThanOrEqual(500);
    expect(secs).toBeGreaterThan(400);
  });
});

describe("metrics observer", () => {
  it("turns the recorded traffic into topic, group and lag series", () => {
    const obs = new MetricsObserver("", new ConnectionMetrics(), new ApiMetrics());
    const all = conns("");
    for (let i = 0; i < all.length; i++) {
      const s = new KafkaSession(obs);
      const req = b64(all[i][1]),
        resp = b64(all[i][2]);
      s.feedRequests(new MemorySource(req.ptr, req.len));
      s.feedResponses(new MemorySource(resp.ptr, resp.len));
      s.dispose();
    }
    // kafka-consumer-groups --describe: javagroup orders/0 77 of 77, /1 74 of 260, /2 0 of 36
    expect(value(MetricType.Gauge, "kscope_group_committed_offset", gpt("javagroup", "orders", 1))).toBe(74);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_records", gpt("javagroup", "orders", 1))).toBe(186);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_records", gpt("javagroup", "orders", 2))).toBe(36);
    expect(value(MetricType.Gauge, "kscope_consumer_lag_records", gpt("javagroup", "orders", 0))).toBe(0);
    const zstd = label("topic", "orders") + label("client_id", "rdkafka") + label("compression", "zstd");
    expect(value(MetricType.Counter, "kscope_produced_records_total", zstd)).toBe(20);
    expect(
      value(
        MetricType.Counter,
        "kscope_produced_records_total",
        label("topic", "orders") + label("client_id", "perf-producer-client") + label("compression", "none"),
      ),
    ).toBe(200);
    expect(value(MetricType.Gauge, "kscope_group_generation", label("group", "javagroup"))).toBe(1);
    expect(
      value(MetricType.Counter, "kscope_transactions_total", label("client_id", "perf-producer-client") + label("result", "commit")),
    ).toBeGreaterThan(0, "transactions");
    expect(
      value(MetricType.Counter, "kscope_errors_total", label("api", "JoinGroup") + label("error", "MEMBER_ID_REQUIRED")),
    ).toBeGreaterThan(0, "errors");
    // Fetch attributed to the group through the client id seen in JoinGroup/OffsetCommit
    expect(
      value(
        MetricType.Counter,
        "kscope_fetched_records_total",
        label("topic", "orders") + label("group", "kjsgroup") + label("client_id", "kjs-app"),
      ),
    ).toBe(121, "fetched");
    // Per client: one request count per request the session decoded the header of, by API; one error per response with any error code.
    const pc = new PerClient();
    for (let i = 0; i < all.length; i++) {
      const s = new KafkaSession(pc);
      const req = b64(all[i][1]),
        resp = b64(all[i][2]);
      s.feedRequests(new MemorySource(req.ptr, req.len));
      s.feedResponses(new MemorySource(resp.ptr, resp.len));
      s.dispose();
    }
    let totalErrors: i64 = 0;
    for (let i = 0; i < pc.keys.length; i++) {
      const k = pc.keys[i];
      const nl = k.indexOf("\n");
      const l = label("client_id", k.substring(0, nl)) + label("api", apiName(<i16>I32.parseInt(k.substring(nl + 1))));
      expect(value(MetricType.Counter, "kscope_client_requests_total", l)).toBe(pc.requests.get(k), "client requests " + k);
      expect(value(MetricType.Counter, "kscope_client_errors_total", l)).toBe(pc.errors.get(k), "client errors " + k);
      totalErrors += pc.errors.get(k);
    }
    expect(pc.keys.length).toBeGreaterThan(10, "clients x APIs in the fixtures");
    expect(totalErrors).toBeGreaterThan(0, "the fixtures hold responses with errors");
    expect(
      value(MetricType.Counter, "kscope_client_requests_total", label("client_id", "kjs-app") + label("api", "Fetch")),
    ).toBeGreaterThan(0, "kafkajs fetches");
  });

  it("names error codes with a bounded set of values", () => {
    expect(errorName(0)).toBe("NONE");
    expect(errorName(6)).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(errorName(-1)).toBe("UNKNOWN_SERVER_ERROR");
    expect(errorName(255)).toBe("unknown"); // codes Kafka does not define share one value: garbage mints none
    expect(errorName(256)).toBe("unknown");
    expect(errorName(-2)).toBe("unknown");
    expect(errorName(i16.MAX_VALUE)).toBe("unknown");
  });
});
