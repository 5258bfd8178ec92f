// Consumer lag from what passes on the wire, per group, topic and partition.
//
// High watermark (HW) of a partition: the largest seen in Fetch responses (high_watermark),
// ListOffsets responses for the latest offset (timestamp -1), and Produce responses with acks=all
// (base offset + records appended). Committed offset: OffsetCommit/TxnOffsetCommit requests whose
// response has no error for the partition, and OffsetFetch responses.
//
//   lag_records = max(0, HW - committed)
//   lag_seconds = 0 when HW <= committed; otherwise now - T, where T is when kscope first saw the
//                 HW above the committed offset, i.e. how long the oldest record the group has not
//                 committed has been readable. When the HW was already above the committed offset
//                 at kscope's first observation of the partition, T is that first observation (a
//                 lower bound). The history keeps up to HISTORY (hw, time) points per partition;
//                 when full, the point whose neighbours are closest in time is dropped, so T errs
//                 late (lag seconds low) by at most one gap between kept points (about the
//                 history's time span / 64).
//
// Gauges are set with proxy_record_metric (Envoy sets gauges to the value). Lag seconds move with
// time: refresh(now) recomputes every tracked partition (driven by traffic at most once a second,
// and by the root context's tick when it calls MetricsObserver.tick()).
// Partitions of topics or groups beyond the label budget are not tracked (one `__other__` lag
// series over many partitions would mean nothing).
import { OTHER, observe } from "./registry";
import { CommitSeries, groupLabels, highWatermarkId, topicLabels } from "./kafka";
import { commitIndex, publishCommit, publishHw, sharedCommit, sharedHw } from "./shared";

const HISTORY: i32 = 64;
const MAX_PARTITIONS: i32 = 100000;

export class PartitionState {
  hw: i64 = -1;
  hwId: u32;
  /** (hw, time) points, hw strictly increasing. */
  private hws: StaticArray<i64> = new StaticArray<i64>(HISTORY);
  private times: StaticArray<u64> = new StaticArray<u64>(HISTORY);
  private n: i32 = 0;
  /** One per group that committed an offset of this partition (groups are admitted labels: few). */
  commits: Array<CommitState> = [];

  constructor(
    readonly topic: string,
    readonly partition: i32,
    hwId: u32,
  ) {
    this.hwId = hwId;
  }

  /** A HW observation; returns true when it moved the HW forward. */
  observe(hw: i64, now: u64): bool {
    if (hw <= this.hw) return false;
    this.hw = hw;
    if (this.n == HISTORY) {
      // drop the inner point whose neighbours are closest in time: the kept points stay spread
      // evenly over the history, so a dropped point costs at most one gap of lag seconds
      let best = 1;
      let gap = u64.MAX_VALUE;
      for (let i = 1; i < HISTORY - 1; i++) {
        const g = unchecked(this.times[i + 1]) - unchecked(this.times[i - 1]);
        if (g < gap) {
          gap = g;
          best = i;
        }
      }
      for (let i = best; i < HISTORY - 1; i++) {
        this.hws[i] = this.hws[i + 1];
        this.times[i] = this.times[i + 1];
      }
      this.n = HISTORY - 1;
    }
    this.hws[this.n] = hw;
    this.times[this.n] = now;
    this.n++;
    observe(this.hwId, <u64>hw);
    return true;
  }

  /** The group's commit state for this partition, or null. */
  commitOf(group: string): CommitState | null {
    for (let i = 0; i < this.commits.length; i++) {
      const s = unchecked(this.commits[i]);
      if (s.group == group) return s;
    }
    return null;
  }

  /** When the HW was first seen above `offset` (0: never). */
  since(offset: i64): u64 {
    for (let i = 0; i < this.n; i++) if (unchecked(this.hws[i]) > offset) return unchecked(this.times[i]);
    return 0;
  }
}

export class CommitState {
  committed: i64 = -1;
  /** When this offset was committed (host time), to order commits seen by different workers. */
  at: u64 = 0;
  constructor(
    readonly group: string,
    readonly part: PartitionState,
    readonly ids: CommitSeries,
  ) {}

  update(now: u64): void {
    const hw = this.part.hw,
      c = this.committed;
    if (c < 0) return;
    observe(this.ids.committed, <u64>c);
    if (hw < 0) return;
    observe(this.ids.lagRecords, hw > c ? <u64>(hw - c) : 0);
    let secs: u64 = 0;
    if (hw > c) {
      const t = this.part.since(c);
      if (t > 0 && now > t) secs = (now - t) / 1000000000;
    }
    observe(this.ids.lagSeconds, secs);
  }
}

export class LagTracker {
  private parts: Map<string, Map<i32, PartitionState>> = new Map();
  private all: Array<CommitState> = [];
  private allParts: Array<PartitionState> = [];
  private nParts: i32 = 0;
  private lastRefresh: u64 = 0;
  /** Commit-index entries already taken in (see sync). */
  private indexed: i32 = 0;

  /** The state of a topic partition (topic already admitted), or null past the partition cap. */
  partition(topic: string, partition: i32): PartitionState | null {
    let m: Map<i32, PartitionState>;
    if (this.parts.has(topic)) m = this.parts.get(topic);
    else {
      m = new Map();
      this.parts.set(topic, m);
    }
    if (m.has(partition)) return m.get(partition);
    if (this.nParts >= MAX_PARTITIONS) return null;
    const hwId = highWatermarkId(topic, partition);
    if (hwId == u32.MAX_VALUE) return null; // past the metric's series budget: not tracked
    this.nParts++;
    const p = new PartitionState(topic, partition, hwId);
    m.set(partition, p);
    this.allParts.push(p);
    return p;
  }

  /** null past the series budget of the commit gauges (the partition's commits are then not tracked). */
  private commitState(group: string, p: PartitionState): CommitState | null {
    let s = p.commitOf(group);
    if (s == null) {
      const ids = new CommitSeries(group, p.topic, p.partition);
      if (ids.committed == u32.MAX_VALUE) return null;
      s = new CommitState(group, p, ids);
      p.commits.push(s);
      this.all.push(s);
    }
    return s;
  }

  highWatermark(topic: string, partition: i32, hw: i64, now: u64): void {
    if (hw < 0) return;
    const p = this.partition(topic, partition);
    if (p == null || !p.observe(hw, now)) return;
    for (let i = 0; i < p.commits.length; i++) unchecked(p.commits[i]).update(now);
  }

  committed(group: string, topic: string, partition: i32, offset: i64, now: u64): void {
    if (offset < 0) return;
    const p = this.partition(topic, partition);
    if (p == null) return;
    const s = this.commitState(group, p);
    if (s == null) return;
    s.committed = offset;
    s.at = now;
    s.update(now);
  }

  /** Recomputes every lag (lag seconds grow with time); at most once a second unless forced. */
  refresh(now: u64, force: bool = false): void {
    if (!force && now < this.lastRefresh + 1000000000) return;
    this.lastRefresh = now;
    this.sync(now);
    for (let i = 0; i < this.all.length; i++) unchecked(this.all[i]).update(now);
  }

  /**
   * Shares facts with the other worker VMs (./shared): publishes this VM's HWs and commits where
   * the shared ones are behind, and takes in theirs, including commits of partitions this VM
   * has not seen (the commit index). A HW learnt this way is timed when this VM learns it (at
   * most a second late for lag seconds). Without shared data (the unit-test stub) it does nothing.
   */
  private sync(now: u64): void {
    const index = commitIndex();
    for (; this.indexed < index.length; this.indexed++) {
      const f = unchecked(index[this.indexed]).split("\n");
      if (f.length != 3) continue;
      const topic = topicLabels.admit(f[0]),
        group = groupLabels.admit(f[2]);
      if (topic == OTHER || group == OTHER) continue;
      const p = this.partition(topic, I32.parseInt(f[1]));
      if (p != null) this.commitState(group, p);
    }
    for (let i = 0; i < this.allParts.length; i++) {
      const p = unchecked(this.allParts[i]);
      if (p.hw < 0 && p.commits.length == 0) continue;
      const hw = sharedHw(p.topic, p.partition);
      if (hw > p.hw) p.observe(hw, now);
      else if (hw < p.hw) publishHw(p.topic, p.partition, p.hw);
    }
    for (let i = 0; i < this.all.length; i++) {
      const s = unchecked(this.all[i]);
      const c = sharedCommit(s.part.topic, s.part.partition, s.group);
      if (c != null && c.time > s.at) {
        s.committed = c.value;
        s.at = c.time;
      } else if (s.at > 0 && (c == null || c.time < s.at)) publishCommit(s.part.topic, s.part.partition, s.group, s.committed, s.at);
    }
  }
}
