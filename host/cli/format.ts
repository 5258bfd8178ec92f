// Output: human units, borderless aligned tables (cli-table3), colour only on a terminal.
import Table from "cli-table3";
import pc from "picocolors";

export type Output = "table" | "wide" | "json";

export function parseOutput(s: string): Output {
  if (s === "table" || s === "wide" || s === "json") return s;
  throw new Error(`unknown output format "${s}" (use table, wide or json)`);
}

/** Colours, switched off when stdout is not a terminal or NO_COLOR is set. */
export function colours(tty = !!process.stdout.isTTY && !process.env.NO_COLOR) {
  const id = (s: string) => s;
  return {
    on: tty,
    bold: tty ? pc.bold : id, dim: tty ? pc.dim : id, red: tty ? pc.red : id,
    green: tty ? pc.green : id, yellow: tty ? pc.yellow : id, cyan: tty ? pc.cyan : id,
  };
}
export type Colours = ReturnType<typeof colours>;

const DASH = "-";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** 1234 → "1.2k", 0.5 → "0.5", 3 → "3". */
export function num(v: unknown, digits = 1): string {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(digits)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(digits)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(digits)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  if (a >= 1) return v.toFixed(1).replace(/\.0$/, "");
  if (a === 0) return "0";
  return v.toFixed(a >= 0.01 ? 2 : 3);
}

export const rate = (v: unknown) => (isNum(v) ? `${num(v)}/s` : DASH);

/** Bytes (or bytes per second with suffix "/s"): binary units. */
export function bytes(v: unknown, suffix = ""): string {
  if (!isNum(v)) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let x = v, i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${i === 0 ? Math.round(x) : x.toFixed(1)}${units[i]}${suffix}`;
}

/** Milliseconds: "0.42ms", "12ms", "1.5s". */
export function ms(v: unknown): string {
  if (!isNum(v)) return DASH;
  if (v >= 10_000) return `${(v / 1000).toFixed(0)}s`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)}s`;
  if (v >= 10) return `${v.toFixed(0)}ms`;
  if (v >= 1) return `${v.toFixed(1)}ms`;
  return `${v.toFixed(2)}ms`;
}

/** Seconds: "45s", "3m20s", "2h5m". */
export function duration(v: unknown): string {
  if (!isNum(v)) return DASH;
  const s = Math.round(v);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ""}`;
}

export const percent = (v: unknown) => (isNum(v) ? `${(v * 100).toFixed(v >= 0.9995 || v === 0 ? 0 : 2)}%` : DASH);

export function list(v: unknown, max = 3): string {
  if (!Array.isArray(v) || v.length === 0) return DASH;
  return v.length > max ? `${v.slice(0, max).join(",")},+${v.length - max}` : v.join(",");
}

/** A column: header, how to print a row's field, and whether it is only in -o wide. */
export interface Column<R> { header: string; cell: (r: R) => string; wide?: boolean; align?: "left" | "right"; }

/** Renders rows as a borderless table, Linkerd-style (headers in capitals, two spaces apart). */
export function table<R>(rows: R[], cols: Column<R>[], o: { wide?: boolean; c?: Colours } = {}): string {
  const c = o.c ?? colours(false);
  const shown = cols.filter((x) => o.wide || !x.wide);
  const t = new Table({
    head: shown.map((x) => c.bold(x.header)),
    chars: { top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "", left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  " },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    colAligns: shown.map((x) => x.align ?? "left"),
  });
  for (const r of rows) t.push(shown.map((x) => x.cell(r)));
  return t.toString().split("\n").map((l) => l.replace(/\s+$/, "")).join("\n");
}

/** A label value (a dash when absent). */
export function text(v: unknown): string {
  return typeof v === "string" || typeof v === "number" ? String(v) : DASH;
}

export function stateColour(state: unknown, c: Colours): string {
  if (typeof state !== "string") return DASH;
  if (state === "OK") return c.green(state);
  if (state === "LAGGING") return c.yellow(state);
  return c.red(state);
}
