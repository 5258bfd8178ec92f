// Plugin configuration and workload identity (assembly/filter/config.ts).
import { parseConfig, resolveIdentity } from "../../assembly/filter/config";

function node(key: string): string {
  if (key == "WORKLOAD_NAME") return "billing-consumer";
  if (key == "NAMESPACE") return "payments";
  return "";
}

function noNode(key: string): string { return ""; }

describe("plugin configuration", () => {
  it("reads workload, namespace and max_label_values from flat JSON", () => {
    const c = parseConfig('{"workload":"orders-producer", "namespace": "shop","max_label_values":50}');
    expect(c.workload).toBe("orders-producer");
    expect(c.namespace).toBe("shop");
    expect(c.maxLabelValues).toBe(50);
    expect(c.nodeMetadata).toBe(true);
  });

  it("keeps defaults for an empty or missing configuration", () => {
    const c = parseConfig("");
    expect(c.workload).toBe("");
    expect(c.maxLabelValues).toBe(200);
  });

  it("takes a missing workload and namespace from node metadata", () => {
    const c = parseConfig("{}");
    resolveIdentity(c, node);
    expect(c.workload).toBe("billing-consumer");
    expect(c.namespace).toBe("payments");
  });

  it("lets the configuration win, field by field", () => {
    const c = parseConfig('{"workload":"orders-producer"}');
    resolveIdentity(c, node);
    expect(c.workload).toBe("orders-producer");
    expect(c.namespace).toBe("payments");
  });

  it("does not look at node metadata with \"node_metadata\": false", () => {
    const c = parseConfig('{"node_metadata":false}');
    expect(c.nodeMetadata).toBe(false);
    resolveIdentity(c, node);
    expect(c.workload).toBe("");
  });

  it("stays unlabelled when the host has no such property", () => {
    const c = parseConfig("{}");
    resolveIdentity(c, noNode);
    expect(c.workload).toBe("");
    resolveIdentity(c); // the real lookup: the test host answers NotFound
    expect(c.namespace).toBe("");
  });
});
