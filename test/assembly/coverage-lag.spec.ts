// Lag arithmetic at its edges (found with `make coverage`): what kscope shows before it has seen
// both sides of a partition, when a group has committed past the high watermark, and how often
// lag in seconds is recomputed on traffic.
import { MetricType } from "../../assembly/abi/enums";
import { LagTracker } from "../../assembly/metrics/lag";
import { metricValue } from "./support";
import { label } from "../../assembly/metrics/registry";

function gauge(name: string, labels: string): i64 {
  return metricValue(MetricType.Gauge, name, labels);
}
function gpt(group: string, topic: string): string {
  return label("group", group) + label("topic", topic) + label("partition", "0");
}
const S: u64 = 1000000000;

describe("lag edges", () => {
  it("a commit before any high watermark sets the committed offset and no lag yet", () => {
    const lag = new LagTracker();
    lag.committed("g", "early", 0, 30, 1 * S);
    expect(gauge("kscope_group_committed_offset", gpt("g", "early"))).toBe(30);
    lag.highWatermark("early", 0, 45, 2 * S);
    expect(gauge("kscope_consumer_lag_records", gpt("g", "early"))).toBe(15);
    lag.refresh(7 * S, true);
    expect(gauge("kscope_consumer_lag_seconds", gpt("g", "early"))).toBe(5); // HW first seen past 30 at t=2
  });

  it("ignores offsets and watermarks that are not there (-1)", () => {
    const lag = new LagTracker();
    lag.highWatermark("absent", 0, 100, 1 * S);
    lag.committed("g", "absent", 0, -1, 2 * S); // OffsetFetch answers -1 for a partition never committed
    lag.highWatermark("absent", 0, -1, 3 * S);
    expect(gauge("kscope_group_committed_offset", gpt("g", "absent"))).toBe(0);
    expect(gauge("kscope_consumer_lag_records", gpt("g", "absent"))).toBe(0);
    expect(gauge("kscope_partition_high_watermark", label("topic", "absent") + label("partition", "0"))).toBe(100);
  });

  it("a group committed at or past the high watermark has no lag, in records or seconds", () => {
    const lag = new LagTracker();
    lag.highWatermark("ahead", 0, 50, 1 * S);
    lag.committed("g", "ahead", 0, 80, 2 * S);
    lag.refresh(60 * S, true);
    expect(gauge("kscope_consumer_lag_records", gpt("g", "ahead"))).toBe(0);
    expect(gauge("kscope_consumer_lag_seconds", gpt("g", "ahead"))).toBe(0);
  });

  it("on traffic, lag in seconds is recomputed at most once a second; a tick always recomputes", () => {
    const lag = new LagTracker();
    lag.highWatermark("paced", 0, 10, 1 * S);
    lag.committed("g", "paced", 0, 0, 1 * S);
    lag.refresh(10 * S);
    expect(gauge("kscope_consumer_lag_seconds", gpt("g", "paced"))).toBe(9);
    lag.refresh(10 * S + S / 2); // half a second later: skipped
    expect(gauge("kscope_consumer_lag_seconds", gpt("g", "paced"))).toBe(9);
    lag.refresh(11 * S, true); // a tick
    expect(gauge("kscope_consumer_lag_seconds", gpt("g", "paced"))).toBe(10);
    lag.refresh(11 * S + S / 2); // traffic within a second of the tick: skipped
    expect(gauge("kscope_consumer_lag_seconds", gpt("g", "paced"))).toBe(10);
    lag.refresh(12 * S);
    expect(gauge("kscope_consumer_lag_seconds", gpt("g", "paced"))).toBe(11);
  });
});
