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

export function genGateway(apis, { parseRange, KINDS, PRIM, fieldKind, packRange, snake, jars }) {
  const tables = [];
  const cases = [];
  for (const [apiName, structs] of Object.entries(ADDRESSES)) {
    const api = [...apis.values()].find((a) => a.name === apiName);
    if (!api) throw new Error(`no API ${apiName}`);
    const schema = api.response;
    const valid = parseRange(schema.validVersions);
    const role = (path) => {
      const dot = path.lastIndexOf(".");
      const parent = dot < 0 ? "" : path.slice(0, dot),
        name = path.slice(dot + 1);
      const fields = structs[parent];
      if (!fields) return undefined;
      const i = fields.indexOf(name);
      return i < 0 ? undefined : ["NodeId", "Host", "Port"][i];
    };
    const common = new Map((schema.commonStructs ?? []).map((c) => [c.name, c.fields]));
    const childFields = (f) => {
      const t = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
      if (PRIM[t] !== undefined) return null;
      return (
        f.fields ??
        common.get(t) ??
        (() => {
          throw new Error(`${schema.name}: unknown type ${f.type}`);
        })()
      );
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
        fields.forEach((f, i) => {
          if (holds(f, prefix + f.name)) last = i;
        });
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
        if (r) {
          found++;
          if (here[0] <= here[1]) lowest = Math.min(lowest, here[0]);
        }
        if (!r && kids && holds(f, path)) r = "Scope";
        const { kind, a } = fieldKind(f.type);
        ops.push({
          op: [
            kind,
            packRange(versions),
            packRange(parseRange(f.nullableVersions)),
            GW_ROLES.indexOf(r ?? "None"),
            a,
            0,
            tagged ? f.tag : -1,
          ],
          kids: kind === KINDS.indexOf("Struct") || kind === KINDS.indexOf("ArrayStruct") ? kids : null,
          path,
          here,
        });
      }
      const end = ops.length;
      for (let i = start; i < end; i++) {
        if (!ops[i].kids) continue;
        const [s, n] = layout(ops[i].kids, ops[i].path + ".", false, ops[i].here);
        ops[i].op[4] = s;
        ops[i].op[5] = n;
      }
      return [start, end - start];
    }
    const [, rootCount] = layout(schema.fields, "", true);
    const expected = Object.values(structs).reduce((n, f) => n + f.length, 0);
    if (found !== expected) throw new Error(`${apiName}: found ${found} of ${expected} address fields`);
    const name = `${snake(apiName)}_ADDRESSES`;
    tables.push(
      `/** ${schema.name} ${schema.validVersions} (Kafka ${jars[jars.length - 1].version}); flexible ${schema.flexibleVersions}. */\nconst ${name}: StaticArray<i32> = [${[rootCount, ...ops.flatMap((o) => o.op)].join(", ")}];`,
    );
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

// ---------------------------------------------------------------------------------------------
// Test frames: every version of every response above, encoded from its schema by an encoder
// independent of the filter's walker, once as a broker sends it and once as the gateway must
// rewrite it (host and port of each broker entry replaced, lengths and tagged sizes re-encoded).

export const FRAME_HOST = "gw.kscope.test";
export const FRAME_PORT_BASE = 19200;

class Enc {
  constructor() {
    this.parts = [];
  }
  u8(v) {
    this.parts.push(Buffer.from([v & 0xff]));
  }
  i16(v) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
  }
  i32(v) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
  }
  i64(v) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
  }
  uvarint(v) {
    const out = [];
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    this.parts.push(Buffer.from(out));
  }
  raw(b) {
    this.parts.push(b);
  }
  bytes() {
    return Buffer.concat(this.parts);
  }
}

/** Encodes `schema` at `version`; `rewrite`: write the gateway's addresses instead of the brokers'. */
export function encodeResponse(schema, version, corr, structs, rewrite, parseRange, PRIM) {
  const inR = (r, v) => r !== null && v >= r[0] && v <= r[1];
  const flex = inR(parseRange(schema.flexibleVersions), version);
  const common = new Map((schema.commonStructs ?? []).map((c) => [c.name, c.fields]));
  const kids = (f) => {
    const t = f.type.replace(/^\[\]/, "");
    return PRIM[t] !== undefined ? null : (f.fields ?? common.get(t));
  };
  const roleOf = (path) => {
    const dot = path.lastIndexOf(".");
    const parent = dot < 0 ? "" : path.slice(0, dot),
      name = path.slice(dot + 1);
    const i = structs[parent]?.indexOf(name) ?? -1;
    return i < 0 ? undefined : ["NodeId", "Host", "Port"][i];
  };
  function prim(e, type, path, nullable, ctx, n) {
    const role = roleOf(path);
    switch (type) {
      case "bool":
      case "int8":
        return e.u8(n & 1);
      case "int16":
      case "uint16":
        return e.i16(path.endsWith("ErrorCode") ? 0 : n);
      case "int32":
      case "uint32": {
        if (role === "NodeId") return e.i32(ctx.node);
        if (role === "Port") return e.i32(rewrite && ctx.node >= 0 ? FRAME_PORT_BASE + ctx.node : ctx.node >= 0 ? 9092 : -1);
        return e.i32(n * 7);
      }
      case "int64":
      case "float64":
        return e.i64(n * 1000 + 1);
      case "uuid":
        return e.raw(Buffer.alloc(16, n + 1));
      case "string": {
        let s =
          role === "Host"
            ? ctx.node >= 0
              ? rewrite
                ? FRAME_HOST
                : `broker-${ctx.node}.cluster.internal`
              : ""
            : `${path.split(".").pop().toLowerCase()}-${n}`;
        if (nullable && role === undefined && n % 2 === 1) s = null; // some nulls where allowed
        const b = s === null ? null : Buffer.from(s);
        if (flex) e.uvarint(b === null ? 0 : b.length + 1);
        else e.i16(b === null ? -1 : b.length);
        if (b) e.raw(b);
        return;
      }
      case "bytes":
      case "records": {
        const b = Buffer.alloc(24 + n, 0x5a);
        if (flex) e.uvarint(b.length + 1);
        else e.i32(b.length);
        return e.raw(b);
      }
    }
    throw new Error(`type ${type}`);
  }
  function value(e, f, path, ctx, n) {
    const isArray = f.type.startsWith("[]"),
      elem = f.type.replace(/^\[\]/, "");
    const nullable = inR(parseRange(f.nullableVersions), version);
    const ks = kids(f);
    if (!isArray && !ks) return prim(e, elem, path, nullable, ctx, n);
    if (!isArray) return struct(e, ks, path, ctx);
    const addressList = structs[path] !== undefined;
    const count = addressList ? 3 : 2;
    if (flex) e.uvarint(count + 1);
    else e.i32(count);
    for (let i = 0; i < count; i++) {
      if (ks) struct(e, ks, path, { node: addressList ? (i === 2 && path === "Coordinators" ? -1 : i + 1) : ctx.node });
      else prim(e, elem, path, false, ctx, i);
    }
  }
  function struct(e, fields, prefix, ctx) {
    const p = (f) => (prefix ? `${prefix}.${f.name}` : f.name);
    fields.forEach((f, i) => {
      if (f.tag !== undefined || !inR(parseRange(f.versions), version)) return;
      value(e, f, p(f), ctx, i);
    });
    if (!flex) return;
    const tagged = fields.filter((f) => f.tag !== undefined && inR(parseRange(f.taggedVersions), version)).sort((a, b) => a.tag - b.tag);
    e.uvarint(tagged.length);
    for (const f of tagged) {
      const inner = new Enc();
      value(inner, f, p(f), ctx, f.tag);
      const b = inner.bytes();
      e.uvarint(f.tag);
      e.uvarint(b.length);
      e.raw(b);
    }
  }
  const body = new Enc();
  body.i32(corr);
  if (flex) body.uvarint(0); // response header v1: no tagged fields
  struct(body, schema.fields, "", { node: structs[""] ? 2 : -1 });
  const b = body.bytes();
  const size = Buffer.alloc(4);
  size.writeInt32BE(b.length);
  return Buffer.concat([size, b]);
}

export function genGatewayFrames(apis, { parseRange, PRIM }) {
  const rows = [];
  for (const [apiName, structs] of Object.entries(ADDRESSES)) {
    const api = [...apis.values()].find((a) => a.name === apiName);
    const valid = parseRange(api.response.validVersions);
    for (let v = valid[0]; v <= valid[1]; v++) {
      const input = encodeResponse(api.response, v, 1000 + v, structs, false, parseRange, PRIM);
      const expected = encodeResponse(api.response, v, 1000 + v, structs, true, parseRange, PRIM);
      rows.push({ api: apiName, key: api.key, version: v, input: input.toString("base64"), expected: expected.toString("base64") });
    }
  }
  return rows;
}
