// Generates assembly/gateway/generated/addresses.ts: for every response that carries broker
// addresses, an op table the gateway's rewriter (assembly/gateway/rewrite.ts) walks to find each
// (node id, host, port). Unlike the codec tables, tagged fields are listed (KIP-951's
// node_endpoints are tagged fields of Produce and Fetch responses), so a rewrite can fix their sizes.
// Called by scripts/gen-codec.mjs (npm run gen).

/** The responses that name brokers, and the fields of each address struct, by path. */
export const ADDRESSES = {
  Metadata: { Brokers: ["NodeId", "Host", "Port"] },
  FindCoordinator: { "": ["NodeId", "Host", "Port"], Coordinators: ["NodeId", "Host", "Port"] },
  DescribeCluster: { Brokers: ["BrokerId", "Host", "Port"] },
  Produce: { NodeEndpoints: ["NodeId", "Host", "Port"] },
  Fetch: { NodeEndpoints: ["NodeId", "Host", "Port"] },
  ShareFetch: { NodeEndpoints: ["NodeId", "Host", "Port"] },
  ShareAcknowledge: { NodeEndpoints: ["NodeId", "Host", "Port"] },
};

export const GW_ROLES = ["None", "Scope", "NodeId", "Host", "Port"];
// kind, versions, nullableVersions, role, a (element kind / first child), b (children), tag (-1: regular)
export const GW_OP_WORDS = 7;

export function genGateway(apis, { parseRange, KINDS, PRIM, packRange, snake, jars }) {
  const tables = [];
  const cases = [];
  for (const [apiName, structs] of Object.entries(ADDRESSES)) {
    const api = [...apis.values()].find((a) => a.name === apiName);
    if (!api) throw new Error(`no API ${apiName}`);
    const schema = api.response;
    const valid = parseRange(schema.validVersions);
    const role = (path) => {
      const dot = path.lastIndexOf(".");
      const parent = dot < 0 ? "" : path.slice(0, dot), name = path.slice(dot + 1);
      const fields = structs[parent];
      if (!fields) return undefined;
      const i = fields.indexOf(name);
      return i < 0 ? undefined : ["NodeId", "Host", "Port"][i];
    };
    const common = new Map((schema.commonStructs ?? []).map((c) => [c.name, c.fields]));
    const childFields = (f) => {
      const t = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
      if (PRIM[t] !== undefined) return null;
      return f.fields ?? common.get(t) ?? (() => { throw new Error(`${schema.name}: unknown type ${f.type}`); })();
    };
    const holds = (f, path) => role(path) !== undefined || (childFields(f)?.some((k) => holds(k, `${path}.${k.name}`)) ?? false);
    const ops = [];
    let found = 0;
    let lowest = 0x7fff; // the first version in which an address field is present
    const within = (r, p) => [Math.max(r[0], p[0]), Math.min(r[1], p[1])];
    function layout(fields, prefix, top, present = valid) {
      let list = fields;
      if (top && !fields.some((f) => f.tag !== undefined && holds(f, f.name))) {
        // no address in the top-level tag section: stop after the last regular field holding one
        let last = -1;
        fields.forEach((f, i) => { if (holds(f, prefix + f.name)) last = i; });
        list = fields.slice(0, last + 1);
      }
      const start = ops.length;
      for (const f of list) {
        const path = prefix + f.name;
        const kids = childFields(f);
        let r = role(path);
        const tagged = f.tag !== undefined;
        const versions = parseRange(tagged ? f.taggedVersions : f.versions);
        const here = within(versions, present);
        if (r) { found++; if (here[0] <= here[1]) lowest = Math.min(lowest, here[0]); }
        if (!r && kids && holds(f, path)) r = "Scope";
        const isArray = f.type.startsWith("[]");
        const elem = isArray ? f.type.slice(2) : f.type;
        let kind, a = 0;
        if (!isArray && PRIM[elem] !== undefined) kind = PRIM[elem];
        else if (isArray && PRIM[elem] !== undefined) { kind = KINDS.indexOf("ArrayOf"); a = PRIM[elem]; }
        else kind = KINDS.indexOf(isArray ? "ArrayStruct" : "Struct");
        ops.push({ op: [kind, packRange(versions), packRange(parseRange(f.nullableVersions)), GW_ROLES.indexOf(r ?? "None"), a, 0, tagged ? f.tag : -1],
          kids: kind === KINDS.indexOf("Struct") || kind === KINDS.indexOf("ArrayStruct") ? kids : null, path, here });
      }
      const end = ops.length;
      for (let i = start; i < end; i++) {
        if (!ops[i].kids) continue;
        const [s, n] = layout(ops[i].kids, ops[i].path + ".", false, ops[i].here);
        ops[i].op[4] = s; ops[i].op[5] = n;
      }
      return [start, end - start];
    }
    const [, rootCount] = layout(schema.fields, "", true);
    const expected = Object.values(structs).reduce((n, f) => n + f.length, 0);
    if (found !== expected) throw new Error(`${apiName}: found ${found} of ${expected} address fields`);
    const name = `${snake(apiName)}_ADDRESSES`;
    tables.push(`/** ${schema.name} ${schema.validVersions} (Kafka ${jars[jars.length - 1].version}); flexible ${schema.flexibleVersions}. */\nconst ${name}: StaticArray<i32> = [${[rootCount, ...ops.flatMap((o) => o.op)].join(", ")}];`);
    cases.push(`    case ${api.key}: return version >= ${lowest} && version <= ${valid[1]} ? ${name} : null; // ${apiName}`);
  }
  return `// Generated by scripts/gen-gateway.mjs from the message schemas of Kafka ${jars[jars.length - 1].version}. Do not edit.
// For each response that carries broker addresses, the ops the gateway walks to find them.
// A table is [rootCount, op...]; an op is ${GW_OP_WORDS} words: kind, versions, nullableVersions, role, a, b, tag.
// Kinds are the codec's (assembly/kafka/generated/codec.ts Kind). Versions pack (first << 16 | last).
// Struct and ArrayStruct: children are ops a .. a+b-1. tag: -1 for a regular field, else the field's
// tag in its struct's tagged section (versions then are its taggedVersions).
// Top-level fields after the last one holding an address are left out unless one is tagged.

export const GW_OP_WORDS: i32 = ${GW_OP_WORDS};

/** What a field is to the rewriter. Scope: a struct or array holding address fields. */
export const enum AddrRole { ${GW_ROLES.map((r, i) => `${r} = ${i}`).join(", ")} }

${tables.join("\n")}

/** The address op table of a response (by its request's API key and version), or null when that version carries no address. */
export function addressOps(key: i16, version: i16): StaticArray<i32> | null {
  switch (key) {
${cases.join("\n")}
  }
  return null;
}
`;
}
