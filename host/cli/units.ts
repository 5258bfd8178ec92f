// Human units for numbers, shared by the CLI's tables and the dashboard (no Node imports).
export const DASH = "-";
export const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

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
  let x = v,
    i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(x) : x.toFixed(1)}${units[i]}${suffix}`;
}

/** Milliseconds: "0.42ms", "12ms", "1.5s". */
export function ms(v: unknown): string {
  if (!isNum(v)) return DASH;
  if (v >= 10_000) return `${(v / 1000).toFixed(0)}s`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)}s`;
  if (v >= 10) return `${v.toFixed(0)}ms`;
  if (v >= 1) return `${v.toFixed(1)}ms`;
  return v === 0 ? "0ms" : `${v.toFixed(2)}ms`;
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
