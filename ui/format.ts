// The CLI's units (host/cli/units.ts), so the dashboard prints numbers the way `kscope stat` does.
export { bytes, duration, ms, num, percent, rate, list, DASH } from "../host/cli/units";
import { duration } from "../host/cli/units";

/** What a group's state means (host/cli/model.ts groupState), shown beside the badge. */
export const STATE_REASON: Record<string, string> = {
  OK: "no lag, or lag with committed offsets moving",
  LAGGING: "committed offsets move, but lag grew over the window and the oldest uncommitted record has waited 10 s or more",
  STALLED: "lag; the group still fetches but its committed offsets did not move",
  STOPPED: "lag; the group neither commits nor fetches (paused, hung or gone)",
};

/** Whole numbers in full, with thousands separators: offsets and lag. */
export const int = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "-");

/** Seconds on a chart's axis: fractions below a minute, then the CLI's durations. */
export const seconds = (v: number) => (v < 60 ? `${Number(v.toFixed(v < 10 ? 1 : 0))}s` : duration(v));
