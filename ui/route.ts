// Deep links: the hash says what is shown, e.g. #/groups/billing?w=5m, so a URL pasted into an
// incident channel opens the same page, window and filters.
export interface Route {
  page: string;
  name?: string;
  params: URLSearchParams;
}

export function current(): Route {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  const [page, ...rest] = path.split("/");
  const name = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  return { page: page || "overview", name, params: new URLSearchParams(query) };
}

/** A link to a page, keeping the window (and live) of the current view unless given. */
export function link(page: string, name?: string, params: Record<string, string> = {}): string {
  const keep = current().params;
  const q = new URLSearchParams();
  for (const k of ["w", "live"]) {
    const v = keep.get(k);
    if (v) q.set(k, v);
  }
  for (const [k, v] of Object.entries(params))
    if (v) q.set(k, v);
    else q.delete(k);
  const s = q.toString();
  return `#/${page}${name !== undefined ? `/${encodeURIComponent(name)}` : ""}${s ? `?${s}` : ""}`;
}

export const WINDOWS: Record<string, number> = { "10s": 10, "30s": 30, "1m": 60, "5m": 300, "10m": 600 };

/** Seconds the rates cover (`w`, default 1m). */
export function windowOf(r: Route): number {
  return WINDOWS[r.params.get("w") ?? "1m"] ?? 60;
}

/** The charts' range and step for a window: ten windows back (at most the proxy's 10 minutes of history). */
export function rangeOf(r: Route): { range: number; step: number } {
  const range = Math.min(600, windowOf(r) * 10);
  return { range, step: Math.max(5, range / 40) };
}
