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
    bold: tty ? pc.bold : id,
    dim: tty ? pc.dim : id,
    red: tty ? pc.red : id,
    green: tty ? pc.green : id,
    yellow: tty ? pc.yellow : id,
    cyan: tty ? pc.cyan : id,
  };
}
export type Colours = ReturnType<typeof colours>;

export * from "./units";
import { DASH } from "./units";

/** A column: header, how to print a row's field, and whether it is only in -o wide. */
export interface Column<R> {
  header: string;
  cell: (r: R) => string;
  wide?: boolean;
  align?: "left" | "right";
}

/** Renders rows as a borderless table, Linkerd-style (headers in capitals, two spaces apart). */
export function table<R>(rows: R[], cols: Column<R>[], o: { wide?: boolean; c?: Colours } = {}): string {
  const c = o.c ?? colours(false);
  const shown = cols.filter((x) => o.wide || !x.wide);
  const t = new Table({
    head: shown.map((x) => c.bold(x.header)),
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    colAligns: shown.map((x) => x.align ?? "left"),
  });
  for (const r of rows) t.push(shown.map((x) => x.cell(r)));
  return t
    .toString()
    .split("\n")
    .map((l) => l.replace(/\s+$/, ""))
    .join("\n");
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
