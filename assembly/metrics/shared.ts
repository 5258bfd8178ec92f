// Label budgets for the whole proxy, not per VM: Envoy runs one VM per worker thread, and a
// budget each VM kept alone let N workers admit N times the values. The admitted values live in
// proxy-wasm shared data (process-wide, compare-and-swap), one counter and one key per value:
//   kscope.label.<label>          how many values are admitted (CAS-incremented)
//   kscope.label.<label>=<value>  present once <value> is admitted
// so shared memory is bounded by the budgets. A host without shared data (the unit-test stub)
// answers NotFound/Unimplemented: then each VM decides alone, as before.
import { Status } from "../abi/enums";
import { getShared, setShared } from "../abi/host";

export const enum Claim { Admitted, Full, Alone }

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

export function hwKey(topic: string, partition: i32): string { return "kscope.hw\n" + topic + "\n" + partition.toString(); }
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

export class SharedCommit {
  constructor(readonly offset: i64, readonly time: u64) {}
}

/** The latest commit any worker saw, or null. */
export function sharedCommit(topic: string, partition: i32, group: string): SharedCommit | null {
  const e = getShared(commitKey(topic, partition, group));
  if (e.status != Status.Ok) return null;
  const sp = e.value.indexOf(" ");
  if (sp < 0) return null;
  return new SharedCommit(I64.parseInt(e.value.substring(0, sp)), U64.parseInt(e.value.substring(sp + 1)));
}

/** Publishes a commit unless a later one is there; a new key is added to the index. */
export function publishCommit(topic: string, partition: i32, group: string, offset: i64, time: u64): void {
  const key = commitKey(topic, partition, group);
  for (let i = 0; i < RETRIES; i++) {
    const e = getShared(key);
    if (e.status != Status.Ok && e.status != Status.NotFound) return;
    if (e.status == Status.Ok) {
      const sp = e.value.indexOf(" ");
      if (sp > 0 && U64.parseInt(e.value.substring(sp + 1)) >= time) return;
    }
    const st = setShared(key, offset.toString() + " " + time.toString(), e.status == Status.Ok ? e.cas : 0);
    if (st == Status.CasMismatch) continue;
    if (st == Status.Ok && e.status == Status.NotFound && group.indexOf("\r") < 0) appendIndex(topic + "\n" + partition.toString() + "\n" + group);
    return;
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
