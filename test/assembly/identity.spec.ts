// Naming a connection's client on a proxy that serves many (assembly/filter/identity.ts).
import { Identity, IdentityResolver, WorkloadRule, hostOf, ipv4, spiffeIdentity, workloadLabels } from "../../assembly/filter/identity";

function rule(workload: string, clientIdPrefix: string, peer: string): WorkloadRule {
  const r = new WorkloadRule(new Identity(workload, "shop"));
  r.clientIdPrefix = clientIdPrefix;
  if (peer.length) expect(r.setPeer(peer)).toBe(true);
  return r;
}

describe("workload identity", () => {
  it("reads namespace and service account from an Istio SPIFFE id", () => {
    const id = spiffeIdentity("spiffe://cluster.local/ns/shop/sa/orders")!;
    expect(id.workload).toBe("orders");
    expect(id.namespace).toBe("shop");
    expect(id.labels).toBe(";workload=.=orders;.;;namespace=.=shop;.;");
    expect(spiffeIdentity("spiffe://cluster.local/other/path") == null).toBe(true);
    expect(spiffeIdentity("spiffe://td/ns//sa/x") == null).toBe(true);
    expect(spiffeIdentity("https://example.com/ns/a/sa/b") == null).toBe(true);
    expect(spiffeIdentity("") == null).toBe(true);
  });

  it("parses addresses", () => {
    expect(ipv4("10.1.2.3")).toBe(0x0a010203);
    expect(ipv4("256.1.1.1")).toBe(-1);
    expect(ipv4("1.2.3")).toBe(-1);
    expect(ipv4("a.b.c.d")).toBe(-1);
    expect(hostOf("10.1.2.3:5555")).toBe("10.1.2.3");
    expect(hostOf("[::1]:5555")).toBe("::1");
    expect(hostOf("10.1.2.3")).toBe("10.1.2.3");
  });

  it("resolves SPIFFE first, then rules in order (client id prefix, peer CIDR or address), else unknown", () => {
    const r = new IdentityResolver();
    r.rules.push(rule("orders", "orders-", ""));
    r.rules.push(rule("billing", "", "10.1.0.0/16"));
    r.rules.push(rule("local", "", "::1"));
    expect(r.resolve("spiffe://cluster.local/ns/pay/sa/payments", "10.1.2.3:1", "orders-1").workload).toBe("payments");
    expect(r.resolve("", "10.1.2.3:1", "orders-1").workload).toBe("orders");
    expect(r.resolve("", "10.1.2.3:1", "other").workload).toBe("billing");
    expect(r.resolve("", "10.2.0.1:1", "other").workload).toBe("unknown");
    expect(r.resolve("", "10.2.0.1:1", "other").namespace).toBe("unknown");
    expect(r.resolve("", "[::1]:9", "").workload).toBe("local");
    r.spiffe = false;
    expect(r.resolve("spiffe://cluster.local/ns/pay/sa/payments", "10.9.9.9:1", "x").workload).toBe("unknown");
  });

  it("rejects malformed CIDRs", () => {
    const r = new WorkloadRule(new Identity("a", ""));
    expect(r.setPeer("10.0.0.0/33")).toBe(false);
    expect(r.setPeer("10.0.0/8")).toBe(false);
    expect(r.setPeer("10.0.0.0/")).toBe(false);
  });

  it("bounds workload names by the label budget", () => {
    const r = new IdentityResolver();
    workloadLabels.limit = 6; // four admitted by the test above
    expect(r.resolve("spiffe://td/ns/a/sa/w1", "", "").workload).toBe("w1");
    expect(r.resolve("spiffe://td/ns/a/sa/w2", "", "").workload).toBe("w2");
    expect(r.resolve("spiffe://td/ns/a/sa/w3", "", "").workload).toBe("__other__");
    expect(r.resolve("spiffe://td/ns/a/sa/w1", "", "").workload).toBe("w1");
  });
});
