// Plugin configuration and workload identity (assembly/filter/config.ts).
import { Config, parseConfig, resolveIdentity } from "../../assembly/filter/config";

/** A configuration that must parse. */
function valid(text: string): Config {
  const r = parseConfig(text);
  expect(r.error).toBe("", text);
  return r.config;
}

/** The error of a configuration that must be refused. */
function refused(text: string): string {
  const r = parseConfig(text);
  expect(r.error.length).toBeGreaterThan(0, text);
  expect(r.config.maxLabelValues).toBe(200); // nothing half-applied
  return r.error;
}

function node(key: string): string {
  if (key == "WORKLOAD_NAME") return "billing-consumer";
  if (key == "NAMESPACE") return "payments";
  return "";
}

function noNode(key: string): string {
  return "";
}

describe("plugin configuration", () => {
  it("reads workload, namespace and max_label_values from flat JSON", () => {
    const c = valid('{"workload":"orders-producer", "namespace": "shop","max_label_values":50}');
    expect(c.workload).toBe("orders-producer");
    expect(c.namespace).toBe("shop");
    expect(c.maxLabelValues).toBe(50);
    expect(c.nodeMetadata).toBe(true);
  });

  it("keeps defaults for an empty, blank or {} configuration", () => {
    const c = valid("");
    expect(c.workload).toBe("");
    expect(c.maxLabelValues).toBe(200);
    expect(valid(" \n ").maxLabelValues).toBe(200);
    expect(valid("{}").nodeMetadata).toBe(true);
  });

  it("reads escapes and takes no key from a nested object", () => {
    expect(valid('{"workload":"a\\"b\\u00e9"}').workload).toBe('a"bé');
    expect(refused('{"labels":{"workload":"x"}}')).toBe(
      'unknown key "labels" at line 1, column 2 (known keys: workload, namespace, max_label_values, max_series_per_metric, node_metadata, clients, reporter, destination, gateway)',
    );
  });

  it("refuses unknown keys, naming them and where", () => {
    expect(refused('{\n  "workload": "a",\n  "max_lable_values": 50\n}')).toBe(
      'unknown key "max_lable_values" at line 3, column 3 (known keys: workload, namespace, max_label_values, max_series_per_metric, node_metadata, clients, reporter, destination, gateway)',
    );
  });

  it("refuses values of the wrong type or range", () => {
    expect(refused('{"max_label_values":"50"}')).toBe('"max_label_values" at line 1, column 21 must be a number, found a string');
    expect(refused('{"max_label_values":0}')).toBe('"max_label_values" at line 1, column 21 must be an integer from 1 to 100000');
    expect(refused('{"max_label_values":2.5}')).toBe('"max_label_values" at line 1, column 21 must be an integer from 1 to 100000');
    expect(refused('{"workload":7}')).toBe('"workload" at line 1, column 13 must be a string, found a number');
    expect(refused('{"node_metadata":"false"}')).toBe('"node_metadata" at line 1, column 18 must be a boolean, found a string');
    expect(refused('{"namespace":null}')).toBe('"namespace" at line 1, column 14 must be a string, found null');
  });

  it("refuses invalid JSON and non-objects", () => {
    expect(refused('{"workload":"a",}')).toBe("invalid JSON at line 1, column 17: expected a member name in double quotes, found '}'");
    expect(refused('{"workload":"a","workload":"b"}')).toBe('invalid JSON at line 1, column 17: duplicate key "workload"');
    expect(refused('["workload"]')).toBe("expected a JSON object at line 1, column 1, found an array");
    expect(refused('"workload"')).toBe("expected a JSON object at line 1, column 1, found a string");
    expect(refused("workload=orders")).toBe("invalid JSON at line 1, column 1: expected a value, found 'w'");
  });

  it("takes a missing workload and namespace from node metadata", () => {
    const c = valid("{}");
    resolveIdentity(c, node);
    expect(c.workload).toBe("billing-consumer");
    expect(c.namespace).toBe("payments");
  });

  it("lets the configuration win, field by field", () => {
    const c = valid('{"workload":"orders-producer"}');
    resolveIdentity(c, node);
    expect(c.workload).toBe("orders-producer");
    expect(c.namespace).toBe("payments");
  });

  it('does not look at node metadata with "node_metadata": false', () => {
    const c = valid('{"node_metadata":false}');
    expect(c.nodeMetadata).toBe(false);
    resolveIdentity(c, node);
    expect(c.workload).toBe("");
  });

  it("stays unlabelled when the host has no such property", () => {
    const c = valid("{}");
    resolveIdentity(c, noNode);
    expect(c.workload).toBe("");
    resolveIdentity(c); // the real lookup: the test host answers NotFound
    expect(c.namespace).toBe("");
  });
});

describe("clients: naming each connection's client", () => {
  it("reads spiffe and rules; without the key the proxy's own identity names every connection", () => {
    expect(valid("{}").resolver == null).toBe(true);
    const c = valid(
      '{"clients":{"spiffe":false,"rules":[{"client_id_prefix":"orders-","workload":"orders","namespace":"shop"},{"peer":"10.1.0.0/16","workload":"billing"}]}}',
    );
    const r = c.resolver!;
    expect(r.spiffe).toBe(false);
    expect(r.rules.length).toBe(2);
    expect(r.resolve("", "10.1.9.9:1000", "x").workload).toBe("billing");
    expect(r.resolve("", "10.2.9.9:1000", "orders-7").namespace).toBe("shop");
    expect(valid('{"clients":{}}').resolver!.spiffe).toBe(true);
  });

  it("refuses malformed rules with what is wrong", () => {
    expect(refused('{"clients":{"rules":[{"workload":"a"}]}}').includes('rules[0]: needs one of "client_id_prefix" or "peer"')).toBe(
      true,
      'rules[0]: needs one of "client_id_prefix" or "peer"',
    );
    expect(refused('{"clients":{"rules":[{"peer":"10.0.0.0/40","workload":"a"}]}}').includes("CIDR")).toBe(true, "CIDR");
    expect(refused('{"clients":{"rules":[{"peer":"10.0.0.1"}]}}').includes('"workload" is required')).toBe(true, '"workload" is required');
    expect(refused('{"clients":{"rules":[{"peer":"10.0.0.1","workload":"a","x":"y"}]}}').includes('unknown key "x"')).toBe(
      true,
      'unknown key "x"',
    );
    expect(refused('{"clients":{"spiffe":"yes"}}').includes('"spiffe" must be a boolean')).toBe(true, '"spiffe" must be a boolean');
    expect(refused('{"clients":{"rule":[]}}').includes('unknown key "rule"')).toBe(true, 'unknown key "rule"');
    expect(refused('{"clients":[]}').includes("clients")).toBe(true, "clients");
  });
});
