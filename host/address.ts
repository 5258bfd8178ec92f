/** Parses "host:port", "[v6]:port" or ":port" (host defaults to 127.0.0.1). */
export function parseAddress(s: string, defaultHost = "127.0.0.1"): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  if (!m) throw new Error(`not an address: "${s}" (expected host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port out of range in "${s}"`);
  return { host: m[1] ?? (m[2] || defaultHost), port };
}
