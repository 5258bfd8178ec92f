// The gateway's plugin configuration keys (off unless gateway_host and gateway_port_base are set):
//   "gateway_host": "kafka.example.com"   the host clients use for every broker
//   "gateway_port_base": 9193              node n is reached at port 9193 + n
//   "gateway_max_held_bytes": 1048576      most bytes held while a response is completed
// Kept apart from filter/config.ts so they move onto the JSON configuration parser in one piece.

export class GatewayConfig {
  host: string = "";
  portBase: i32 = -1;
  /** A response that would need more bytes held than this passes unchanged (and is counted). */
  maxHeld: i32 = 1 << 20;

  get enabled(): bool { return this.host.length > 0 && this.portBase >= 0; }
}

/** The raw value of a top-level key in flat JSON ("" when absent); strings without quotes. */
function value(text: string, key: string): string {
  const k = text.indexOf('"' + key + '"');
  if (k < 0) return "";
  let j = k + key.length + 2;
  while (j < text.length && (text.charCodeAt(j) == 0x20 || text.charCodeAt(j) == 0x3a)) j++;
  if (j < text.length && text.charCodeAt(j) == 0x22) {
    const e = text.indexOf('"', j + 1);
    return e < 0 ? "" : text.substring(j + 1, e);
  }
  let e = j;
  while (e < text.length && text.charCodeAt(e) != 0x2c && text.charCodeAt(e) != 0x7d) e++;
  return text.substring(j, e).trim();
}

export function parseGatewayConfig(text: string): GatewayConfig {
  const cfg = new GatewayConfig();
  cfg.host = value(text, "gateway_host");
  if (cfg.host.length > 255) cfg.host = ""; // not a host name: leave the gateway off
  const base = value(text, "gateway_port_base");
  if (base.length) {
    const b = I32.parseInt(base);
    if (b > 0 && b <= 65535) cfg.portBase = b;
  }
  const held = value(text, "gateway_max_held_bytes");
  if (held.length) {
    const h = I32.parseInt(held);
    if (h >= 64) cfg.maxHeld = h;
  }
  return cfg;
}
