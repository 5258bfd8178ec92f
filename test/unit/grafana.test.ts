// The Grafana dashboards under examples/grafana/ are what examples/grafana/dashboards.ts builds
// (regenerate with `npm run gen:grafana`), read a datasource variable, and ship as a ConfigMap
// that Grafana's sidecar picks up. Their queries run against a real Prometheus in
// test/integration/dashboard.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

const ROOT = path.join(__dirname, "..", "..", "..");
const DIR = path.join(ROOT, "examples", "grafana");
// Compiled by its own tsconfig (the SDK's package exports need node16 resolution), so loaded at run time.
const generator = () =>
  import(path.join(ROOT, "dist", "examples", "grafana", "dashboards.js")) as Promise<{ files(): Record<string, string> }>;

test("grafana: the committed files are what the builder makes", async () => {
  const files = (await generator()).files();
  assert.ok(Object.keys(files).length >= 6);
  for (const [rel, text] of Object.entries(files)) {
    assert.equal(fs.readFileSync(path.join(DIR, rel), "utf8"), text, `examples/grafana/${rel} is stale: run npm run gen:grafana`);
  }
});

test("grafana: every dashboard has a datasource variable and every panel uses it", () => {
  for (const file of fs.readdirSync(path.join(DIR, "dashboards"))) {
    const d = JSON.parse(fs.readFileSync(path.join(DIR, "dashboards", file), "utf8"));
    const ds = d.templating.list.find((v: { type: string }) => v.type === "datasource");
    assert.equal(ds?.query, "prometheus", file);
    assert.ok(d.panels.length > 0, file);
    for (const p of d.panels) {
      if (p.type === "row") continue;
      assert.equal(p.datasource.uid, "${datasource}", `${file}: ${p.title}`);
      for (const t of p.targets) assert.equal(t.datasource.uid, "${datasource}", `${file}: ${p.title}`);
    }
  }
  const graph = JSON.parse(fs.readFileSync(path.join(DIR, "dashboards", "kscope-topology.json"), "utf8"));
  assert.equal(graph.panels[0].type, "nodeGraph");
});

test("grafana: the ConfigMap is labelled for the sidecar and carries every dashboard; provisioning parses", () => {
  const cm = YAML.parse(fs.readFileSync(path.join(DIR, "configmap.yaml"), "utf8"));
  assert.equal(cm.kind, "ConfigMap");
  assert.equal(cm.metadata.labels.grafana_dashboard, "1");
  const names = fs.readdirSync(path.join(DIR, "dashboards")).sort();
  assert.deepEqual(Object.keys(cm.data).sort(), names);
  for (const n of names) assert.deepEqual(JSON.parse(cm.data[n]), JSON.parse(fs.readFileSync(path.join(DIR, "dashboards", n), "utf8")));
  const prov = YAML.parse(fs.readFileSync(path.join(DIR, "provisioning", "dashboards.yaml"), "utf8"));
  assert.equal(prov.apiVersion, 1);
  assert.equal(prov.providers[0].type, "file");
});
