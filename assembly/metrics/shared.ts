// Label budgets for the whole proxy, not per VM: Envoy runs one VM per worker thread, and a
// budget each VM kept alone let N workers admit N times the values. The admitted values live in
// proxy-wasm shared data (process-wide, compare-and-swap), one counter and one key per value:
//   kscope.label.<label>          how many values are admitted (CAS-incremented)
//   kscope.label.<label>=<value>  present once <value> is admitted
// so shared memory is bounded by the budgets. A host without shared data (the unit-test stub)
// answers NotFound/Unimplemented: then each VM decides alone, as before.
import { Status } from "../abi/enums";
import { getShared, setShared } from "../abi/host";

export const enum Claim {
  Admitted,
  Full,
  Alone,
}

const PREFIX = "kscope.label.";
/** CAS retries before giving up on a value (turned away: the budget is never exceeded). */
const RETRIES = 16;

/** Creates the counter of a label at 0 if no VM did yet (each VM, when it configures). */
export function initClaims(label: string): void {
  const key = PREFIX + label;
  if (getShared(key).status == Status.NotFound) setShared(key, "0", 0);
}

/** Takes one of `limit` shared slots for `value` (idempotent for a value already admitted). */
export function claim(label: string, value: string, limit: i32): Claim {
  const valueKey = PREFIX + label + "=" + value;
  const v = getShared(valueKey);
  if (v.status == Status.Ok) return Claim.Admitted;
  if (v.status != Status.NotFound) return Claim.Alone;
  const countKey = PREFIX + label;
  for (let i = 0; i < RETRIES; i++) {
    const c = getShared(countKey);
    // A counter no VM created at configure (series budgets: one per metric) is created on first
    // use; two VMs creating it at once can lose a claim, so such a budget may pass by a few.
    if (c.status == Status.NotFound && i == 0 && setShared(countKey, "0", 0) == Status.Ok) continue;
    if (c.status != Status.Ok) return Claim.Alone;
    const n = I32.parseInt(c.value);
    if (n >= limit) return Claim.Full;
    const st = setShared(countKey, (n + 1).toString(), c.cas);
    if (st == Status.CasMismatch) continue;
    if (st != Status.Ok) return Claim.Alone;
    setShared(valueKey, "1", 0);
    return Claim.Admitted;
  }
  return Claim.Full;
}

// ---- Facts behind the cross-connection gauges (high watermarks, committed offsets) ----------
// Each worker VM publishes what it saw and reads what the others saw, once a second (see
// LagTracker.sync), so every worker computes lag from the same facts:
//   kscope.hw\n<topic>\n<partition>            the highest HW any worker saw
//   kscope.co\n<topic>\n<partition>\n<group>   "<offset> <time>": the latest commit (by time)
//   kscope.co                                  the index of commit keys: "<topic>\n<partition>\n<group>"
//                                              entries separated by "\r" (a group holding "\r" is not shared)
// A key created by two workers at once can keep the older value; the next sync notices (the
// shared value is behind the local one) and publishes again.

export function hwKey(topic: string, partition: i32): string {
  return "kscope.hw\n" + topic + "\n" + partition.toString();
}
export function commitKey(topic: string, partition: i32, group: string): string {
  return "kscope.co\n" + topic + "\n" + partition.toString() + "\n" + group;
}
export const COMMIT_INDEX = "kscope.co";

/** The shared HW of a partition (-1 when none or no shared data). */
export function sharedHw(topic: string, partition: i32): i64 {
  const e = getShared(hwKey(topic, partition));
  return e.status == Status.Ok ? I64.parseInt(e.value) : -1;
}

/** Raises the shared HW to `hw` unless it is already there or higher. */
export function publishHw(topic: string, partition: i32, hw: i64): void {
  const key = hwKey(topic, partition);
  for (let i = 0; i < RETRIES; i++) {
    const e = getShared(key);
    if (e.status == Status.Ok && I64.parseInt(e.value) >= hw) return;
    if (e.status != Status.Ok && e.status != Status.NotFound) return;
    if (setShared(key, hw.toString(), e.status == Status.Ok ? e.cas : 0) != Status.CasMismatch) return;
  }
}

/** A value with the host time it was seen, for facts where the latest wins. */
export class Fact {
  constructor(
    readonly value: i64,
    readonly time: u64,
  ) {}
}

/** The fact at `key`, or null. */
export function readLatest(key: string): Fact | null {
  const e = getShared(key);
  if (e.status != Status.Ok) return null;
  const sp = e.value.indexOf(" ");
  if (sp < 0) return null;
  return new Fact(I64.parseInt(e.value.substring(0, sp)), U64.parseInt(e.value.substring(sp + 1)));
}

/** Sets the fact at `key` unless a later one is there; true when it created the key. */
export function publishLatest(key: string, value: i64, time: u64): bool {
  for (let i = 0; i < RETRIES; i++) {
    const e = getShared(key);
    if (e.status != Status.Ok && e.status != Status.NotFound) return false;
    if (e.status == Status.Ok) {
      const sp = e.value.indexOf(" ");
      if (sp > 0 && U64.parseInt(e.value.substring(sp + 1)) >= time) return false;
    }
    const st = setShared(key, value.toString() + " " + time.toString(), e.status == Status.Ok ? e.cas : 0);
    if (st == Status.CasMismatch) continue;
    return st == Status.Ok && e.status == Status.NotFound;
  }
  return false;
}

/** The latest commit any worker saw, or null. */
export function sharedCommit(topic: string, partition: i32, group: string): Fact | null {
  return readLatest(commitKey(topic, partition, group));
}

/** Publishes a commit unless a later one is there; a new key is added to the index. */
export function publishCommit(topic: string, partition: i32, group: string, offset: i64, time: u64): void {
  if (publishLatest(commitKey(topic, partition, group), offset, time) && group.indexOf("\r") < 0) {
    appendIndex(topic + "\n" + partition.toString() + "\n" + group);
  }
}

function appendIndex(entry: string): void {
  for (let i = 0; i < RETRIES; i++) {
    const e = getShared(COMMIT_INDEX);
    if (e.status != Status.Ok) return; // created at configure (initCommitIndex)
    if (setShared(COMMIT_INDEX, e.value.length ? e.value + "\r" + entry : entry, e.cas) != Status.CasMismatch) return;
  }
}

/** Creates the (empty) commit index if no VM did yet (each VM, when it configures). */
export function initCommitIndex(): void {
  if (getShared(COMMIT_INDEX).status == Status.NotFound) setShared(COMMIT_INDEX, "", 0);
}

/** Every index entry: "<topic>\n<partition>\n<group>". */
export function commitIndex(): string[] {
  const e = getShared(COMMIT_INDEX);
  return e.status == Status.Ok && e.value.length ? e.value.split("\r") : [];
}

// ---- Consumer groups: generation, members ------------------------------------------------
//   kscope.gg\n<group>          the highest generation (or KIP-848 member epoch) any worker saw
//   kscope.gm\n<group>          "<members> <time>": a classic group's member count, latest by time
//   kscope.gm\n<group>\n<vm>    a KIP-848 group's live members this VM saw heartbeat (summed)
//   kscope.vms                  VMs so far: each takes the next number when it configures

/** No shared data on this host: the caller decides alone. */
export const ALONE: i64 = i64.MIN_VALUE;
/** raiseShared did not raise (the shared value was already as high). */
export const NOT_RAISED: i64 = i64.MIN_VALUE + 1;

/** Raises the shared value of `key` to `v`; returns the value it replaced (-1: none), NOT_RAISED or ALONE. */
export function raiseShared(key: string, v: i64): i64 {
  for (let i = 0; i < RETRIES; i++) {
    const e = getShared(key);
    if (e.status != Status.Ok && e.status != Status.NotFound) return ALONE;
    const cur = e.status == Status.Ok ? I64.parseInt(e.value) : -1;
    if (cur >= v) return NOT_RAISED;
    const st = setShared(key, v.toString(), e.status == Status.Ok ? e.cas : 0);
    if (st == Status.Ok) return cur;
    if (st != Status.CasMismatch) return ALONE;
  }
  return NOT_RAISED;
}

/** The shared number at `key`, or -1. */
export function sharedNumber(key: string): i64 {
  const e = getShared(key);
  return e.status == Status.Ok ? I64.parseInt(e.value) : -1;
}

export function generationKey(group: string): string {
  return "kscope.gg\n" + group;
}
export function membersKey(group: string): string {
  return "kscope.gm\n" + group;
}

/** This VM's number among the proxy's VMs (0 without shared data). */
let slot: i32 = -1;
let slots: i32 = 1;

export function vmSlot(): i32 {
  if (slot >= 0) return slot;
  slot = 0; // without shared data every VM is alone, and number 0
  if (raiseShared("kscope.vms", 0) == ALONE) return slot; // creates the counter at 0 if absent
  for (let i = 0; i < RETRIES; i++) {
    const e = getShared("kscope.vms");
    if (e.status != Status.Ok) break;
    const n = I32.parseInt(e.value);
    if (setShared("kscope.vms", (n + 1).toString(), e.cas) == Status.Ok) {
      slot = n;
      break;
    }
  }
  return slot;
}

/** Sets this VM's KIP-848 member count of a group; returns the sum over all VMs. */
export function shareMembers848(group: string, n: i32): i32 {
  const mine = vmSlot();
  const base = membersKey(group) + "\n";
  if (setShared(base + mine.toString(), n.toString(), 0) != Status.Ok) return n;
  return sumMembers848(group);
}

export function sumMembers848(group: string): i32 {
  const base = membersKey(group) + "\n";
  const e = getShared("kscope.vms");
  if (e.status == Status.Ok) slots = max(slots, I32.parseInt(e.value));
  let total = 0;
  for (let i = 0; i < slots; i++) {
    const v = sharedNumber(base + i.toString());
    if (v > 0) total += <i32>v;
  }
  return total;
}

// ---- Topic partitions and partition leaders (Metadata responses) ----------------------------
//   kscope.tp\n<topic>              the most partitions any worker saw (a topic's partitions only grow)
//   kscope.pl\n<topic>\n<partition> "<leader> <epoch + 1>": the leader of the highest leader epoch seen
// A broker whose metadata is behind answers an older leader (a lower epoch) or fewer partitions:
// it must not overwrite what another worker learnt from a newer answer. Only kept for partitions
// with a leader gauge (bounded by the series budget) of admitted topics.

export function partitionsKey(topic: string): string {
  return "kscope.tp\n" + topic;
}
export function leaderKey(topic: string, partition: i32): string {
  return "kscope.pl\n" + topic + "\n" + partition.toString();
}

/** Shares a leader seen with its epoch (-1: a Metadata answer before v7, which only fills a partition no answer named); returns the leader of the highest epoch. */
export function shareLeader(topic: string, partition: i32, leader: i32, epoch: i32): i32 {
  const key = leaderKey(topic, partition);
  publishLatest(key, leader, <u64>(max(epoch, -1) + 1));
  const f = readLatest(key);
  return f != null ? <i32>f.value : leader;
}

/** Shares a partition count; returns the most any worker saw. */
export function sharePartitions(topic: string, n: i32): i32 {
  const key = partitionsKey(topic);
  if (raiseShared(key, n) == ALONE) return n;
  return <i32>max<i64>(n, sharedNumber(key));
}

// ---- Names another worker learnt ------------------------------------------------------------
//   kscope.ti\n<topic id>   the topic's name, from a Metadata response (Fetch v13+ names topics by
//                          id only, and its connection may be on a worker that saw no Metadata)
//   kscope.cg\n<client id>  the consumer group of an admitted client id (its group requests and its
//                          fetches travel on different connections, often on different workers)
// Written when a worker learns a new pair; read when a worker does not know the key.

export const TOPIC_ID = "kscope.ti\n";
export const CLIENT_GROUP = "kscope.cg\n";

export function shareName(prefix: string, key: string, name: string): void {
  setShared(prefix + key, name, 0);
}

/** The name another worker shared, or null (none yet, or no shared data). */
export function sharedName(prefix: string, key: string): string | null {
  const e = getShared(prefix + key);
  return e.status == Status.Ok ? e.value : null;
}
