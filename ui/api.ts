// The admin API, as the dashboard reads it. Every number is computed by the server
// (host/admin/data.ts, the CLI's model): the browser only draws.
import type { Series } from "../host/admin/data";
import type { TopologyGraph } from "../host/topology/graph";
import type { Flow } from "../host/cli/top";
import type { ProxyInfo } from "../host/admin/info";

export type Row = Record<string, unknown>;
export type { Series, TopologyGraph, Flow, ProxyInfo };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const res = await fetch(`${path}${q.size ? `?${q}` : ""}`, { headers: { accept: "application/json" } });
  if (!res.ok) throw new HttpError(res.status, `${path}: HTTP ${res.status} ${(await res.text()).trim()}`);
  return (await res.json()) as T;
}

export const view = (resource: string, window: number, f: Record<string, string | undefined> = {}) =>
  get<{ rows: Row[]; source: string }>(`/api/views/${resource}`, { window, ...f }).then((r) => r.rows);

export const series = (resource: string, range: number, step: number, f: Record<string, string | undefined> = {}) =>
  get<Series>(`/api/series/${resource}`, { range, step, ...f });

/** One column of a series: per row key, its values. */
export function column(s: Series, col: string): { label: string; values: (number | null)[] }[] {
  return s.rows.filter((r) => r.cols[col]).map((r) => ({ label: r.key, values: r.cols[col] }));
}

/** Several columns of a one-row series (a single topic or client), as labelled lines. */
export function columns(s: Series, cols: Record<string, string>): { label: string; values: (number | null)[] }[] {
  const row = s.rows[0];
  return row ? Object.entries(cols).map(([label, col]) => ({ label, values: row.cols[col] ?? [] })) : [];
}
