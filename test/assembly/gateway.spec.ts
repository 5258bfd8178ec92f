// The gateway's address rewriter (assembly/gateway/rewrite.ts) against frames encoded from Kafka's
// schemas by an independent encoder (scripts/gen-gateway.mjs): every version of every response
// that names brokers, including KIP-951 node_endpoints in tagged fields.
import { parseConfig } from "../../assembly/filter/config";
import { AddressMap, Rewrite, Rewriter } from "../../assembly/gateway/rewrite";
import { GW_FRAMES, GW_HOST, GW_PORT_BASE } from "./gateway-frames.generated";
import { Bytes, b64 } from "./support";

function same(a: usize, aLen: i32, b: Bytes): bool {
  return aLen == b.len && memory.compare(a, b.ptr, aLen) == 0;
}

function rewriter(): Rewriter {
  return new Rewriter(new AddressMap(GW_HOST, GW_PORT_BASE));
}

describe("gateway rewriter", () => {
  it("rewrites every version of Metadata, FindCoordinator, DescribeCluster, Produce, Fetch, ShareFetch and ShareAcknowledge byte for byte", () => {
    const rw = rewriter();
    let versions = 0;
    for (let i = 0; i < GW_FRAMES.length; i++) {
      const row = GW_FRAMES[i];
      const input = b64(row[3]),
        expected = b64(row[4]);
      const r = rw.rewrite(input.ptr, input.len, <i16>I32.parseInt(row[1]), <i16>I32.parseInt(row[2]));
      if (same(input.ptr, input.len, expected)) {
        // a version without addresses (Produce < 10, Fetch < 16)
        expect(r).toBe(Rewrite.Unchanged);
        continue;
      }
      if (r != Rewrite.Rewritten || !same(rw.out.ptr, rw.out.len, expected)) {
        log(
          row[0] +
            " v" +
            row[2] +
            ": result " +
            r.toString() +
            ", " +
            rw.out.len.toString() +
            " bytes, expected " +
            expected.len.toString(),
        );
      }
      expect(r).toBe(Rewrite.Rewritten);
      expect(same(rw.out.ptr, rw.out.len, expected)).toBe(true);
      versions++;
    }
    expect(versions).toBe(14 + 7 + 3 + 4 + 3 + 1 + 1); // Metadata 0-13, FindCoordinator 0-6, DescribeCluster 0-2, Produce 10-13, Fetch 16-18, ShareFetch 1, ShareAcknowledge 1
  });

  it("counts the addresses it rewrote and leaves entries without a node (-1) alone", () => {
    const rw = rewriter();
    for (let i = 0; i < GW_FRAMES.length; i++) {
      const row = GW_FRAMES[i];
      if (row[0] != "FindCoordinator" || row[2] != "6") continue;
      const input = b64(row[3]);
      expect(rw.rewrite(input.ptr, input.len, 10, 6)).toBe(Rewrite.Rewritten);
      expect(rw.addresses).toBe(2); // the third coordinator has node -1
    }
  });

  it("passes a frame cut short, or with a wrong size prefix, as Malformed", () => {
    const rw = rewriter();
    for (let i = 0; i < GW_FRAMES.length; i++) {
      const row = GW_FRAMES[i];
      if (row[3] == row[4]) continue; // no addresses in this version: never walked
      const input = b64(row[3]);
      const key = <i16>I32.parseInt(row[1]),
        version = <i16>I32.parseInt(row[2]);
      // the size prefix no longer matches the bytes
      expect(rw.rewrite(input.ptr, input.len - 1, key, version)).toBe(Rewrite.Malformed);
      // a consistent frame whose body stops early
      const cut = input.len - 6;
      store<u32>(input.ptr, bswap<u32>(<u32>(cut - 4)));
      const r = rw.rewrite(input.ptr, cut, key, version);
      if (row[0] != "Metadata" && row[0] != "DescribeCluster" && !(row[0] == "FindCoordinator" && version < 4)) {
        expect(r).toBe(Rewrite.Malformed); // these are walked to their last byte
      }
    }
  });

  it("leaves a frame alone when its tagged node_endpoints size lies", () => {
    const rw = rewriter();
    for (let i = 0; i < GW_FRAMES.length; i++) {
      const row = GW_FRAMES[i];
      if (row[0] != "Produce" || row[3] == row[4]) continue;
      const input = b64(row[3]);
      // The frame ends with the top-level tag section: [count=1][tag=0][size][entries].
      // Find the size byte by scanning back from the end for the tag (0) after count (1).
      let at = -1;
      for (let p = input.len - 3; p > 8; p--) {
        if (
          load<u8>(input.ptr + <usize>p - 2) == 1 &&
          load<u8>(input.ptr + <usize>p - 1) == 0 &&
          load<u8>(input.ptr + <usize>p) == input.len - p - 1
        ) {
          at = p;
          break;
        }
      }
      expect(at).toBeGreaterThan(0);
      store<u8>(input.ptr + <usize>at, load<u8>(input.ptr + <usize>at) - 1);
      expect(rw.rewrite(input.ptr, input.len, 0, <i16>I32.parseInt(row[2]))).toBe(Rewrite.Malformed);
    }
  });

  it("does not rewrite versions that carry no address (Produce before v10, Fetch before v16)", () => {
    const rw = rewriter();
    const input = b64(GW_FRAMES[0][3]);
    expect(rw.rewrite(input.ptr, input.len, 0, 9)).toBe(Rewrite.Unchanged);
    expect(rw.rewrite(input.ptr, input.len, 1, 15)).toBe(Rewrite.Unchanged);
    expect(rw.rewrite(input.ptr, input.len, 19, 7)).toBe(Rewrite.Unchanged); // CreateTopics
  });

  it("keeps a node whose port would pass 65535, and counts it", () => {
    const rw = new Rewriter(new AddressMap(GW_HOST, 65534));
    const row = GW_FRAMES[0]; // Metadata v0, nodes 1, 2, 3
    const input = b64(row[3]);
    expect(rw.rewrite(input.ptr, input.len, 3, 0)).toBe(Rewrite.Rewritten);
    expect(rw.addresses).toBe(1);
    expect(rw.unmapped).toBe(2);
  });

  it("rewrites in place when the host has the same bytes (ports only)", () => {
    const row = GW_FRAMES[0];
    const rw = new Rewriter(new AddressMap("broker-1.cluster.internal", GW_PORT_BASE));
    const input = b64(row[3]);
    expect(rw.rewrite(input.ptr, input.len, 3, 0)).toBe(Rewrite.Rewritten);
    expect(rw.out.len).toBe(input.len);
  });
});

describe("gateway configuration", () => {
  it("is off unless the gateway key is given", () => {
    expect(parseConfig("{}").config.gateway == null).toBe(true);
    const r = parseConfig('{"workload":"x","gateway":{"host":"gw.example","port_base":9193,"max_held_bytes":4096}}');
    expect(r.error).toBe("");
    const g = r.config.gateway!;
    expect(g.host).toBe("gw.example");
    expect(g.portBase).toBe(9193);
    expect(g.maxHeld).toBe(4096);
  });

  it("names what is wrong: a missing port base, a port out of range, an unknown key", () => {
    expect(parseConfig('{"gateway":{"host":"gw"}}').error.includes('needs "host" and "port_base"')).toBe(true);
    expect(parseConfig('{"gateway":{"host":"gw","port_base":70000}}').error.includes('"port_base" must be a port')).toBe(true);
    expect(parseConfig('{"gateway":{"host":"gw","port_base":9193,"sni":true}}').error.includes('unknown key "sni"')).toBe(true);
  });
});
