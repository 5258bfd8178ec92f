// The gateway's plugin configuration: the "gateway" key of the plugin configuration (off when
// absent), read by filter/config.ts with the other keys, e.g.
//   "gateway": {"host": "kafka.example.com", "port_base": 9193, "max_held_bytes": 1048576}
// host: what clients use for every broker; port_base: node n is reached at port_base + n;
// max_held_bytes: the most bytes held while a response is completed (bigger ones pass unchanged).
import { JsonKind, JsonValue } from "../json/parse";

export class GatewayConfig {
  host: string = "";
  portBase: i32 = 0;
  /** A response that would need more bytes held than this passes unchanged (and is counted). */
  maxHeld: i32 = 1 << 20;
}

/** Fills `g` from the "gateway" object; returns what is wrong, or "". */
export function applyGateway(g: GatewayConfig, v: JsonValue): string {
  let host = false,
    base = false;
  for (let i = 0; i < v.keys.length; i++) {
    const k = v.keys[i],
      x = v.items[i];
    if (k == "host") {
      if (x.kind != JsonKind.String || x.str.length == 0 || x.str.length > 255) return '"host" must be a host name (1 to 255 characters)';
      g.host = x.str;
      host = true;
    } else if (k == "port_base") {
      if (x.kind != JsonKind.Number || !x.isInt() || x.num < 1 || x.num > 65535) return '"port_base" must be a port (1 to 65535)';
      g.portBase = <i32>x.num;
      base = true;
    } else if (k == "max_held_bytes") {
      if (x.kind != JsonKind.Number || !x.isInt() || x.num < 64 || x.num > 1073741824)
        return '"max_held_bytes" must be an integer from 64 to 1073741824';
      g.maxHeld = <i32>x.num;
    } else return 'unknown key "' + k + '" (known: host, port_base, max_held_bytes)';
  }
  if (!host || !base) return 'needs "host" and "port_base"';
  return "";
}
