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
