// Who is talking: the workload/namespace labels of a connection's Kafka series.
// On a client's own sidecar the proxy's identity names every connection (configuration, else
// node metadata). On a proxy serving many clients ("per_client": the broker's inbound sidecar, a
// gateway), each connection is named on its own, first match wins:
//   1. the peer certificate's SPIFFE URI (mTLS): spiffe://<trust domain>/ns/<namespace>/sa/<service account>
//   2. the configured rules: a client id prefix, or the peer's IPv4 address in a CIDR range
//   3. "unknown"
// Workload names are bounded by a label budget like every client-chosen value.
import { label, LabelBudget, OTHER } from "../metrics/registry";
import * as L from "../../vocabulary/labels";

export const UNKNOWN = L.UNKNOWN;
export const workloadLabels = new LabelBudget(L.workload, 200);

/** A workload and its namespace, as the common labels of its series. */
export class Identity {
  readonly labels: string;
  constructor(
    readonly workload: string,
    readonly namespace: string,
  ) {
    let l = "";
    if (workload.length) l += label(L.workload, workload);
    if (namespace.length) l += label(L.namespace, namespace);
    this.labels = l;
  }
}

/** The workload of an Istio-style SPIFFE id: its service account and namespace; null if it is not one. */
export function spiffeIdentity(uri: string): Identity | null {
  if (!uri.startsWith("spiffe://")) return null;
  const path = uri.indexOf("/", 9);
  if (path < 0) return null;
  const parts = uri.substring(path + 1).split("/");
  if (parts.length != 4 || parts[0] != "ns" || parts[2] != "sa" || parts[1].length == 0 || parts[3].length == 0) return null;
  return new Identity(parts[3], parts[1]);
}

/** An IPv4 address (dotted quad) as a number; -1 when it is not one. */
export function ipv4(s: string): i64 {
  const parts = s.split(".");
  if (parts.length != 4) return -1;
  let v: i64 = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (p.length == 0 || p.length > 3) return -1;
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j);
      if (c < 0x30 || c > 0x39) return -1;
    }
    const n = I32.parseInt(p);
    if (n > 255) return -1;
    v = (v << 8) | n;
  }
  return v;
}

/** The address part of "ip:port" or "[ipv6]:port" (Envoy's source.address). */
export function hostOf(address: string): string {
  if (address.startsWith("[")) {
    const e = address.indexOf("]");
    return e > 0 ? address.substring(1, e) : address;
  }
  const c = address.lastIndexOf(":");
  return c > 0 && address.indexOf(":") == c ? address.substring(0, c) : address;
}

/** One naming rule: a client id prefix, or a peer address range (IPv4 CIDR, or one exact address). */
export class WorkloadRule {
  clientIdPrefix: string = "";
  peer: string = "";
  private net: i64 = -1;
  private mask: i64 = 0;
  constructor(readonly identity: Identity) {}

  /** "10.1.0.0/16", "10.1.2.3" or any exact address text ("::1"); false if a CIDR is malformed. */
  setPeer(p: string): bool {
    this.peer = p;
    const slash = p.indexOf("/");
    const ip = ipv4(slash < 0 ? p : p.substring(0, slash));
    if (slash < 0) {
      this.net = ip;
      this.mask = ip < 0 ? 0 : 0xffffffff;
      return true;
    }
    const bits = I32.parseInt(p.substring(slash + 1));
    if (ip < 0 || bits < 0 || bits > 32 || p.length == slash + 1) return false;
    this.mask = bits == 0 ? 0 : ((<i64>0xffffffff) << (32 - bits)) & 0xffffffff;
    this.net = ip & this.mask;
    return true;
  }

  matches(clientId: string, peerHost: string): bool {
    if (this.clientIdPrefix.length) return clientId.length > 0 && clientId.startsWith(this.clientIdPrefix);
    if (this.peer.length == 0) return false;
    if (this.net < 0) return peerHost == this.peer;
    const ip = ipv4(peerHost);
    return ip >= 0 && (ip & this.mask) == this.net;
  }
}

/** Names a connection's client on a proxy that serves many. */
export class IdentityResolver {
  rules: WorkloadRule[] = [];
  spiffe: bool = true;

  resolve(spiffeUri: string, peerAddress: string, clientId: string): Identity {
    if (this.spiffe) {
      const s = spiffeIdentity(spiffeUri);
      if (s != null) return bounded(s);
    }
    const host = hostOf(peerAddress);
    for (let i = 0; i < this.rules.length; i++) {
      const r = unchecked(this.rules[i]);
      if (r.matches(clientId, host)) return bounded(r.identity);
    }
    return new Identity(UNKNOWN, UNKNOWN);
  }
}

/** Workloads past the label budget share "__other__" (their namespace with them). */
export function bounded(id: Identity): Identity {
  const key = id.namespace + "/" + id.workload;
  return workloadLabels.admit(key) == OTHER ? new Identity(OTHER, OTHER) : id;
}
