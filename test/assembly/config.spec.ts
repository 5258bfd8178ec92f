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

function noNode(key: string): string { return ""; }

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
      'unknown key "labels" at line 1, column 2 (known keys: workload, namespace, max_label_values, node_metadata)');
  });

  it("refuses unknown keys, naming them and where", () => {
    expect(refused('{\n  "workload": "a",\n  "max_lable_values": 50\n}')).toBe(
      'unknown key "max_lable_values" at line 3, column 3 (known keys: workload, namespace, max_label_values, node_metadata)');
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

  it("does not look at node metadata with \"node_metadata\": false", () => {
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
