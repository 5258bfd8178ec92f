// Every YAML file under examples/ parses, and carries the fields kscope depends on: filter names,
// Wasm path and root id, one stats tag per label name used in assembly/, the host's histogram
// buckets, the gateway's command line. (Envoy itself runs examples/envoy/envoy.yaml in
// test/integration/envoy.test.ts; Istio and Kubernetes cannot run here.)
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { bucketsFor } from "../../host/metrics/store";
import { defaultWasm, renderEnvoyConfig, repoRoot } from "../support/envoy";
import { ProxyWasmVm } from "../../host/wasm/vm";
import * as L from "../../vocabulary/labels";
import * as M from "../../vocabulary/metrics";

type Obj = Record<string, any>;

const EXAMPLES = path.join(repoRoot, "examples");
const WASM_FILTER = "envoy.filters.network.wasm";
const WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
const TCP_PROXY = "envoy.filters.network.tcp_proxy";
const STRING_VALUE = "type.googleapis.com/google.protobuf.StringValue";
/** Label names the brief reserves for series other helpers are adding. */
const PLANNED_LABELS = ["topic", "group", "client_id", "partition", "error", "codec", "principal"];

/** The filter itself (build/kscope.wasm in the host VM) accepts this plugin configuration. */
function assertFilterTakes(config: string, where: string): void {
  assert.doesNotThrow(
    () => new ProxyWasmVm({ wasmPath: defaultWasm, configuration: config, log: () => undefined }).dispose(),
    `${where}: plugin configuration`,
  );
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

const yamlFiles = walk(EXAMPLES).filter((f) => /\.ya?ml$/.test(f));

function docs(rel: string): Obj[] {
  return YAML.parseAllDocuments(fs.readFileSync(path.join(EXAMPLES, rel), "utf8")).map((d) => d.toJS() as Obj);
}

/** A name the filter code gives as a literal ("x") or from the vocabulary (L.x / M.x). */
function vocabularyName(literal: string | undefined, constant: string | undefined, vocabulary: Record<string, unknown>): string {
  if (literal !== undefined) return literal;
  const v = vocabulary[constant!];
  assert.equal(typeof v, "string", `vocabulary has no constant ${constant}`);
  return v as string;
}

/** Label names kscope's filter code puts into metric names: label(L.x, ..) and LabelBudget(L.x, ..). */
function labelNamesInAssembly(): Set<string> {
  const names = new Set<string>();
  for (const f of walk(path.join(repoRoot, "assembly")).filter((x) => x.endsWith(".ts"))) {
    const src = fs.readFileSync(f, "utf8");
    for (const m of src.matchAll(/(?:\blabel|new\s+LabelBudget)\(\s*(?:"([A-Za-z_][A-Za-z0-9_]*)"|L\.(\w+))/g))
      names.add(vocabularyName(m[1], m[2], L));
  }
  return names;
}

/** Histograms kscope's filter code defines (series(MetricType.Histogram, M.x, ..) or an IndexedFamily of them). */
function histogramsInAssembly(): string[] {
  const names = new Set<string>();
  for (const f of walk(path.join(repoRoot, "assembly")).filter((x) => x.endsWith(".ts"))) {
    const src = fs.readFileSync(f, "utf8");
    for (const m of src.matchAll(/MetricType\.Histogram,\s*(?:"([A-Za-z_][A-Za-z0-9_]*)"|M\.(\w+))/g))
      names.add(vocabularyName(m[1], m[2], M));
  }
  return [...names].sort();
}

/** The regex Envoy needs for one label (the YAML/JSON text holds it with doubled backslashes). */
const tagRegex = (name: string): string => `(;${name}=\\.=(.*?);\\.;)`;

function checkStatsTags(tags: Obj[], where: string): void {
  const byName = new Map(tags.map((t) => [t.tag_name as string, t.regex as string]));
  assert.equal(byName.size, tags.length, `${where}: duplicate tag names`);
  const needed = new Set([...labelNamesInAssembly(), ...PLANNED_LABELS]);
  assert.ok(needed.has("api") && needed.has("workload"), `label scan found ${[...needed].join(", ")}`);
  for (const name of needed) {
    assert.equal(byName.get(name), tagRegex(name), `${where}: stats_tags entry for label "${name}"`);
  }
  // The regexes do what Envoy does with them: drop the segment from the name, keep the value.
  // assembly/metrics/registry.ts label(): ";" + name + "=.=" + value + ";.;", appended per label.
  const seg = (k: string, v: string): string => `;${k}=.=${v};.;`;
  let encoded = "kscope_requests_total" + seg("api", "Produce") + seg("version", "9") + seg("topic", "orders.v1") + seg("workload", "a-b");
  const got: Record<string, string> = {};
  for (const [name, re] of byName) {
    const m = new RegExp(re).exec(encoded);
    if (!m) continue;
    got[name] = m[2];
    encoded = encoded.replace(m[1], "");
  }
  assert.equal(encoded, "kscope_requests_total");
  assert.deepEqual(got, { api: "Produce", version: "9", topic: "orders.v1", workload: "a-b" });
}

function checkBuckets(settings: Obj[], where: string): void {
  const histograms = histogramsInAssembly();
  assert.ok(histograms.includes(M.requestDuration) && histograms.includes(M.deliveryLatency), `histogram scan: ${histograms.join(", ")}`);
  for (const h of histograms) assert.ok(M.histograms.includes(h), `${h} is listed in vocabulary/metrics.ts histograms`);
  for (const h of histograms) {
    const s = settings.find((x) => x.match?.prefix === `wasmcustom.${h}`);
    assert.ok(s, `${where}: histogram_bucket_settings for wasmcustom.${h}`);
    assert.deepEqual(s.buckets, bucketsFor(h), `${where}: ${h} buckets equal the host's`);
  }
}

/** failure_policy: FAIL_RELOAD where the Envoy is ours (1.40, tested in envoy-trap.test.ts), FAIL_OPEN for Istio's Envoy of unknown version. */
function checkWasmFilter(filter: Obj, where: string, failurePolicy: string): Obj {
  assert.equal(filter.name, WASM_FILTER, where);
  assert.equal(filter.typed_config["@type"], WASM_TYPE, where);
  const pc = filter.typed_config.config as Obj;
  assert.equal(pc.root_id, "kscope", `${where}: root_id`);
  assert.equal(pc.failure_policy, failurePolicy, `${where}: failure_policy`);
  assert.equal(pc.vm_config.runtime, "envoy.wasm.runtime.v8", `${where}: runtime`);
  assert.equal(pc.configuration["@type"], STRING_VALUE, `${where}: configuration type`);
  assertFilterTakes(pc.configuration.value as string, where);
  return pc;
}

test("every YAML file under examples/ parses", () => {
  assert.ok(yamlFiles.length >= 7, `found ${yamlFiles.map((f) => path.relative(repoRoot, f)).join(", ")}`);
  for (const f of yamlFiles) {
    for (const d of YAML.parseAllDocuments(fs.readFileSync(f, "utf8"))) {
      assert.deepEqual(
        d.errors.map((e) => e.message),
        [],
        path.relative(repoRoot, f),
      );
      assert.ok(d.toJS(), `${path.relative(repoRoot, f)}: empty document`);
    }
  }
});

test("examples/envoy/envoy.yaml: wasm filter before tcp_proxy, admin on loopback, tags and buckets", () => {
  const [cfg] = docs("envoy/envoy.yaml");
  assert.equal(cfg.admin.address.socket_address.address, "127.0.0.1");
  const listener = (cfg.static_resources.listeners as Obj[]).find((l) => l.name === "kafka");
  assert.ok(listener);
  const filters = listener.filter_chains[0].filters as Obj[];
  assert.deepEqual(
    filters.map((f) => f.name),
    [WASM_FILTER, TCP_PROXY],
  );
  const pc = checkWasmFilter(filters[0], "envoy.yaml", "FAIL_RELOAD");
  assert.equal(pc.vm_config.code.local.filename, "build/kscope.wasm");
  assert.ok(fs.existsSync(path.join(repoRoot, "assembly", "index.ts")));
  const cluster = filters[1].typed_config.cluster as string;
  assert.ok(
    (cfg.static_resources.clusters as Obj[]).some((c) => c.name === cluster),
    `cluster ${cluster} defined`,
  );
  assert.ok(cfg.node.metadata.WORKLOAD_NAME && cfg.node.metadata.NAMESPACE);
  checkStatsTags(cfg.stats_config.stats_tags, "envoy.yaml");
  checkBuckets(cfg.stats_config.histogram_bucket_settings, "envoy.yaml");
});

test("examples/envoy/gateway.yaml: kscope.wasm with the gateway key before tcp_proxy on every listener, one cluster per broker, buffers above what is held", () => {
  const [cfg] = docs("envoy/gateway.yaml");
  assert.equal(cfg.admin.address.socket_address.address, "127.0.0.1");
  const listeners = cfg.static_resources.listeners as Obj[];
  const clusters = cfg.static_resources.clusters as Obj[];
  assert.deepEqual(
    listeners.map((l) => l.name),
    ["kafka_bootstrap", "kafka_broker_1", "kafka_broker_2", "kafka_broker_3"],
  );
  for (const l of listeners) {
    const filters = l.filter_chains[0].filters as Obj[];
    assert.deepEqual(
      filters.map((f) => f.name),
      [WASM_FILTER, TCP_PROXY],
      l.name as string,
    );
    const pc = checkWasmFilter(filters[0], `gateway.yaml ${l.name}`, "FAIL_RELOAD");
    const gw = (JSON.parse(pc.configuration.value as string) as { gateway: { host: string; port_base: number; max_held_bytes: number } })
      .gateway;
    const node = /^kafka_broker_(\d+)$/.exec(l.name as string);
    if (node) assert.equal(l.address.socket_address.port_value, gw.port_base + Number(node[1]), `${l.name}: port_base + node id`);
    const cluster = clusters.find((c) => c.name === filters[1].typed_config.cluster);
    assert.ok(cluster, `${l.name}: cluster defined`);
    assert.ok(cluster.per_connection_buffer_limit_bytes > gw.max_held_bytes, `${l.name}: Envoy's buffer limit above max_held_bytes`);
  }
  checkStatsTags(cfg.stats_config.stats_tags, "gateway.yaml");
  checkBuckets(cfg.stats_config.histogram_bucket_settings, "gateway.yaml");
});

test("renderEnvoyConfig: ports, upstream, wasm path and the plain tcp_proxy variant", () => {
  const withWasm = YAML.parse(
    renderEnvoyConfig({
      listenPort: 4001,
      adminPort: 4002,
      upstream: "127.0.0.1:4003",
      wasmPath: "/x/k.wasm",
      pluginConfig: { workload: "w" },
    }),
  ) as Obj;
  assert.equal(withWasm.admin.address.socket_address.port_value, 4002);
  const l = withWasm.static_resources.listeners[0];
  assert.deepEqual(l.address.socket_address, { address: "127.0.0.1", port_value: 4001 });
  assert.equal(l.filter_chains[0].filters[0].typed_config.config.vm_config.code.local.filename, "/x/k.wasm");
  assert.equal(l.filter_chains[0].filters[0].typed_config.config.configuration.value, '{"workload":"w"}');
  assert.deepEqual(withWasm.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
    address: "127.0.0.1",
    port_value: 4003,
  });
  const plain = YAML.parse(renderEnvoyConfig({ listenPort: 1, adminPort: 2, upstream: "h:3", withWasm: false })) as Obj;
  assert.deepEqual(
    plain.static_resources.listeners[0].filter_chains[0].filters.map((f: Obj) => f.name),
    [TCP_PROXY],
  );
  assert.deepEqual(plain.stats_config, withWasm.stats_config);
});

test("examples/istio: NETWORK WasmPlugin, EnvoyFilter before tcp_proxy, bootstrap tags equal the Envoy example", () => {
  const [envoy] = docs("envoy/envoy.yaml");
  const [wp] = docs("istio/wasmplugin.yaml");
  assert.equal(wp.apiVersion, "extensions.istio.io/v1alpha1");
  assert.equal(wp.kind, "WasmPlugin");
  assert.equal(wp.spec.type, "NETWORK", "kscope is a network filter");
  assert.equal(wp.spec.failStrategy, "FAIL_OPEN");
  assert.equal(wp.spec.pluginName, "kscope");
  assert.match(wp.spec.url, /^(oci|https?|file):\/\//);
  assert.ok(wp.spec.match.every((m: Obj) => ["CLIENT", "SERVER", "CLIENT_AND_SERVER"].includes(m.mode)));
  assertFilterTakes(JSON.stringify(wp.spec.pluginConfig ?? {}), "istio/wasmplugin.yaml");
  assert.ok(!("workload" in (wp.spec.pluginConfig ?? {})), "workload comes from node metadata in a mesh");

  const [ef] = docs("istio/envoyfilter.yaml");
  assert.equal(ef.kind, "EnvoyFilter");
  const patch = ef.spec.configPatches[0];
  assert.equal(patch.applyTo, "NETWORK_FILTER");
  assert.equal(patch.match.listener.filterChain.filter.name, TCP_PROXY);
  assert.equal(patch.patch.operation, "INSERT_BEFORE");
  const pc = checkWasmFilter(patch.patch.value, "envoyfilter.yaml", "FAIL_OPEN");
  assert.match(pc.vm_config.code.local.filename, /\/kscope\.wasm$/);

  const [cm] = docs("istio/stats-bootstrap.yaml");
  assert.equal(cm.kind, "ConfigMap");
  const boot = JSON.parse(cm.data["custom_bootstrap.json"]) as Obj;
  checkStatsTags(boot.stats_config.stats_tags, "stats-bootstrap.yaml");
  assert.deepEqual(boot.stats_config.stats_tags, envoy.stats_config.stats_tags, "same tags as examples/envoy");
  checkBuckets(boot.stats_config.histogram_bucket_settings, "stats-bootstrap.yaml");

  const [ann] = docs("istio/client-annotations.yaml");
  const a = ann.spec.template.metadata.annotations as Record<string, string>;
  assert.equal(a["sidecar.istio.io/bootstrapOverride"], cm.metadata.name);
  const proxyConfig = YAML.parse(a["proxy.istio.io/config"]) as Obj;
  assert.deepEqual(proxyConfig.proxyStatsMatcher.inclusionPrefixes, ["wasmcustom.kscope_"]);
});

test("examples/envoy/envoy-http.yaml and examples/istio/wasmplugin-http.yaml: the HTTP filter root with tags and buckets", () => {
  const [envoy] = docs("envoy/envoy.yaml");
  const [http] = docs("envoy/envoy-http.yaml");
  const hcm = http.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
  assert.deepEqual(
    (hcm.http_filters as Obj[]).map((f) => f.name),
    ["envoy.filters.http.wasm", "envoy.filters.http.router"],
  );
  const pc = hcm.http_filters[0].typed_config.config as Obj;
  assert.equal(pc.root_id, "kscope_http");
  assert.equal(pc.failure_policy, "FAIL_RELOAD");
  assert.equal(
    pc.vm_config.vm_id,
    envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.config.vm_config.vm_id,
    "one VM for both roots",
  );
  assertFilterTakes(pc.configuration.value as string, "envoy/envoy-http.yaml");
  assert.equal(http.admin.address.socket_address.address, "127.0.0.1");
  // Its own tags are a subset of the Kafka example's (one stats configuration serves both filters).
  for (const t of http.stats_config.stats_tags as Obj[])
    assert.ok(
      (envoy.stats_config.stats_tags as Obj[]).some((e) => e.tag_name === t.tag_name && e.regex === t.regex),
      t.tag_name,
    );
  const b = (http.stats_config.histogram_bucket_settings as Obj[]).find(
    (x) => x.match.prefix === "wasmcustom.kscope_http_request_duration_microseconds",
  );
  assert.deepEqual(b?.buckets, bucketsFor("kscope_http_request_duration_microseconds"));

  const [wp] = docs("istio/wasmplugin-http.yaml");
  assert.equal(wp.kind, "WasmPlugin");
  assert.equal(wp.spec.type, "HTTP");
  assert.equal(wp.spec.pluginName, "kscope_http", "pluginName selects the HTTP root context");
  assert.equal(wp.spec.failStrategy, "FAIL_OPEN");
  assertFilterTakes(JSON.stringify(wp.spec.pluginConfig ?? {}), "istio/wasmplugin-http.yaml");
});

test("examples/kubernetes: gateway runs `kscope proxy` with a loopback admin by default", () => {
  const all = docs("kubernetes/kscope-gateway.yaml");
  const cm = all.find((d) => d.kind === "ConfigMap")!;
  const dep = all.find((d) => d.kind === "Deployment")!;
  const svc = all.find((d) => d.kind === "Service")!;
  assertFilterTakes(cm.data["plugin-config.json"] as string, "kubernetes/kscope-gateway.yaml");
  const c = dep.spec.template.spec.containers[0] as Obj;
  const args = c.args as string[];
  const opt = (name: string): string | undefined => args[args.indexOf(name) + 1];
  assert.equal(args[0], "proxy");
  assert.equal(opt("--listen"), "0.0.0.0:9092");
  assert.equal(opt("--upstream"), "kafka:9092");
  assert.equal(opt("--admin"), "127.0.0.1:9990", "admin is loopback unless exposed on purpose");
  assert.equal(opt("--config"), "$(KSCOPE_PLUGIN_CONFIG)");
  assert.equal(c.env.find((e: Obj) => e.name === "KSCOPE_PLUGIN_CONFIG").valueFrom.configMapKeyRef.name, cm.metadata.name);
  assert.deepEqual(dep.spec.selector.matchLabels, svc.spec.selector);
  assert.equal(svc.spec.ports[0].port, 9092);
  assert.ok(!c.ports.some((p: Obj) => p.containerPort === 9990), "admin port not declared by default");

  const [patch, policy] = docs("kubernetes/admin-exposed.yaml");
  const pargs = patch.spec.template.spec.containers[0].args as string[];
  assert.equal(pargs[pargs.indexOf("--admin") + 1], "0.0.0.0:9990");
  assert.equal(policy.kind, "NetworkPolicy");
  assert.ok(
    policy.spec.ingress.some((r: Obj) => r.from && r.ports.some((p: Obj) => p.port === 9990)),
    "admin port restricted to selected peers",
  );
});
