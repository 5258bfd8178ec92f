// Recorded Kafka 4.1.1 traffic (test/fixtures/*.txt: kcat/librdkafka, kafkajs 2.2.4, the Java
// 4.1.1 clients) decoded through the session, the generated op tables and the walker.
import { MemorySource } from "../../assembly/kafka/bytes";
import { Exchange, KafkaSession } from "../../assembly/kafka/session";
import { Bytes, Recorder, b64, conns, describe_, frameStarts, hex, run } from "./support";
import { request } from "./wire";

let compressed = 0;
function produced(r: Recorder, codecBit: i32 = -1): i64 {
  let n: i64 = 0;
  for (let i = 0; i < r.exchanges.length; i++) {
    const ex = r.exchanges[i];
    if (ex.apiKey != 0 || ex.request == null) continue;
    const m = ex.request!;
    for (let j = 0; j < m.nParts; j++) {
      const s = m.part_(j).records;
      if (s == null) continue;
      // librdkafka sends a batch uncompressed when compressing does not shrink it
      if (codecBit >= 0) expect(s!.codecs == 1 << codecBit || s!.codecs == 1).toBe(true, "compression codec");
      if (s!.codecs == 1 << max(codecBit, 0)) compressed++;
      n += s!.records;
    }
  }
  return n;
}

function find(r: Recorder, apiKey: i16, from: i32 = 0): Exchange | null {
  for (let i = from; i < r.exchanges.length; i++)
    if (r.exchanges[i].apiKey == apiKey && r.exchanges[i].response != null) return r.exchanges[i];
  return null;
}

function clean(r: Recorder): void {
  expect(r.malformed).toBe(0, "malformed frames");
  expect(r.unknownVersion).toBe(0, "unknown versions");
  expect(r.unmatched).toBe(0, "unmatched responses");
  expect(r.gaveUpReason).toBe(-1, "gave up");
}

describe("recorded traffic", () => {
  it("decodes every recorded connection without a malformed frame", () => {
    const all = conns("");
    expect(all.length).toBeGreaterThan(20);
    for (let i = 0; i < all.length; i++) clean(run(b64(all[i][1]), b64(all[i][2])));
  });

  it("decodes the same at every chunking (1-byte chunks; every split point of small streams)", () => {
    const all = conns("");
    for (let i = 0; i < all.length; i++) {
      const req = b64(all[i][1]),
        resp = b64(all[i][2]);
      const whole = run(req, resp).text;
      expect(run(req, resp, 1).text).toBe(whole, all[i][0] + " in 1-byte chunks");
      expect(run(req, resp, 7).text).toBe(whole, all[i][0] + " in 7-byte chunks");
      expect(run(req, resp, 61).text).toBe(whole, all[i][0] + " in 61-byte chunks");
      if (req.len + resp.len <= 3000) {
        for (let k = 1; k < req.len; k++) expect(run(req, resp, 0, [k]).text).toBe(whole, all[i][0] + " request split at " + k.toString());
        for (let k = 1; k < resp.len; k++)
          expect(run(req, resp, 0, [], [k]).text).toBe(whole, all[i][0] + " response split at " + k.toString());
      } else {
        // larger streams: split around every frame start
        const rs = frameStarts(req),
          ps = frameStarts(resp);
        for (let j = 0; j < rs.length; j++)
          for (let d = -2; d <= 5; d++) {
            const k = rs[j] + d;
            if (k > 0 && k < req.len) expect(run(req, resp, 0, [k]).text).toBe(whole, all[i][0] + " request split at " + k.toString());
          }
        for (let j = 0; j < ps.length; j++)
          for (let d = -2; d <= 5; d++) {
            const k = ps[j] + d;
            if (k > 0 && k < resp.len)
              expect(run(req, resp, 0, [], [k]).text).toBe(whole, all[i][0] + " response split at " + k.toString());
          }
      }
    }
  });

  it("counts kcat's produced records and codec from batch headers (none, gzip, snappy, lz4, zstd)", () => {
    const names: string[] = ["none", "gzip", "snappy", "lz4", "zstd"];
    for (let c = 0; c < 5; c++) {
      const cs = conns("kcat-produce-" + names[c]);
      let n: i64 = 0;
      compressed = 0;
      for (let i = 0; i < cs.length; i++) n += produced(run(b64(cs[i][1]), b64(cs[i][2])), c);
      expect(n).toBe(20, names[c]);
      expect(compressed).toBeGreaterThan(0, names[c] + " batches");
    }
  });

  it("reads a transactional producer: InitProducerId, transactional batches, EndTxn", () => {
    const cs = conns("java-txn");
    let n: i64 = 0,
      commits = 0,
      txnBatches = 0;
    for (let i = 0; i < cs.length; i++) {
      const r = run(b64(cs[i][1]), b64(cs[i][2]));
      n += produced(r);
      for (let j = 0; j < r.exchanges.length; j++) {
        const ex = r.exchanges[j];
        if (ex.apiKey == 26 && ex.request!.committed && ex.response!.error == 0) commits++;
        if (ex.apiKey == 22) expect(ex.request!.transactionalId).toBe("txn1");
        if (ex.apiKey == 0) {
          expect(ex.request!.transactionalId).toBe("txn1");
          for (let k = 0; k < ex.request!.nParts; k++) if (ex.request!.part_(k).records!.transactional) txnBatches++;
        }
      }
    }
    expect(n).toBe(200);
    expect(commits).toBeGreaterThan(0);
    expect(txnBatches).toBeGreaterThan(0);
  });

  it("reads committed offsets and log end offsets as kafka-consumer-groups --describe printed them", () => {
    const cs = conns("describe");
    const r = run(b64(cs[1][1]), b64(cs[1][2]));
    const ofr = find(r, 9)!.response!;
    const lo = find(r, 2)!.response!;
    // --describe: partition 0: 77/77, 1: 74/260, 2: 0/36
    const want: i64[] = [77, 74, 0],
      end: i64[] = [77, 260, 36];
    let seen = 0;
    for (let i = 0; i < ofr.nParts; i++) {
      const p = ofr.part_(i);
      expect(p.group).toBe("javagroup");
      expect(p.topic).toBe("orders");
      expect(p.offset).toBe(want[p.partition]);
      seen++;
    }
    for (let i = 0; i < lo.nParts; i++) expect(lo.part_(i).offset).toBe(end[lo.part_(i).partition]);
    expect(seen).toBe(3);
  });

  it("names Fetch v18 / Produce v13 topics by the ids Metadata taught it", () => {
    const cs = conns("java-consume-848");
    let fetches = 0;
    for (let i = 0; i < cs.length; i++) {
      const r = run(b64(cs[i][1]), b64(cs[i][2]));
      for (let j = 0; j < r.exchanges.length; j++) {
        const ex = r.exchanges[j];
        if (ex.apiKey != 1 || ex.apiVersion < 13 || ex.response == null) continue;
        for (let k = 0; k < ex.response!.nParts; k++) {
          expect(ex.response!.part_(k).topic).toBe("orders");
          fetches++;
        }
      }
      const hb = find(r, 68);
      if (hb) {
        expect(hb.request!.groupId).toBe("newgroup");
        expect(hb.response!.generation).toBeGreaterThan(0);
      }
    }
    expect(fetches).toBeGreaterThan(0);
  });

  it("reads a classic group's join: generation, leader, members, protocol", () => {
    const cs = conns("java-consume/018");
    const r = run(b64(cs[0][1]), b64(cs[0][2]));
    let ok = false;
    for (let i = 0; i < r.exchanges.length; i++) {
      const ex = r.exchanges[i];
      if (ex.apiKey != 11 || ex.response!.error != 0) continue;
      expect(ex.response!.generation).toBe(1);
      expect(ex.response!.members).toBe(1);
      expect(ex.response!.protocolName).toBe("range");
      expect(ex.response!.leader).toBe(ex.response!.memberId);
      ok = true;
    }
    expect(ok).toBe(true);
  });

  it("leaves acks=0 requests out of flight (kafkajs)", () => {
    const cs = conns("kafkajs/010");
    const r = run(b64(cs[0][1]), b64(cs[0][2]));
    clean(r);
    expect(r.abandonedCount).toBe(0);
    expect(produced(r)).toBe(20); // the acks=0 record is not in a response exchange
  });
});

/** One request frame: header v1/v2 + body hex. */
function frame(apiKey: i16, version: i16, corr: i32, flexHeader: bool, body: string): string {
  const hdr =
    apiKey.toString(16).padStart(4, "0") +
    version.toString(16).padStart(4, "0") +
    corr.toString(16).padStart(8, "0") +
    "000474657374" +
    (flexHeader ? "00" : "");
  const len = (hdr.length + body.length) / 2;
  return len.toString(16).padStart(8, "0") + hdr + body;
}
function respFrame(corr: i32, flexHeader: bool, body: string): string {
  const hdr = corr.toString(16).padStart(8, "0") + (flexHeader ? "00" : "");
  return ((hdr.length + body.length) / 2).toString(16).padStart(8, "0") + hdr + body;
}

describe("SASL", () => {
  it("takes the PLAIN authzid/authcid and the SCRAM user name, never the password", () => {
    // SaslHandshake v1 "PLAIN"; SaslAuthenticate v2 (flexible) "\0alice\0secret"; v1 "n,,n=bob,r=abc"
    const req = hex(
      frame(17, 1, 1, false, "0005504c41494e") +
        frame(36, 2, 2, true, "0e00616c69636500736563726574" + "00") +
        frame(36, 1, 3, false, "0000000e6e2c2c6e3d626f622c723d616263"),
    );
    const resp = hex(
      respFrame(1, false, "000000000001" + "0005504c41494e") +
        respFrame(2, true, "0000" + "00" + "01" + "0000000000000000" + "00") +
        respFrame(3, false, "0000" + "ffff" + "00000000" + "0000000000000000"),
    );
    const r = run(req, resp);
    clean(r);
    expect(r.exchanges.length).toBe(3);
    expect(r.exchanges[0].request!.mechanism).toBe("PLAIN");
    expect(r.exchanges[1].request!.principal).toBe("alice");
    expect(r.exchanges[1].request!.mechanism).toBe("PLAIN");
    expect(r.exchanges[2].request!.mechanism).toBe("SCRAM");
    expect(r.exchanges[2].request!.principal).toBe("bob");
    expect(r.text.includes("secret")).toBe(false);
  });
});

describe("garbage", () => {
  it("counts a frame with an impossible array count as malformed and goes on with the next frame", () => {
    const cs = conns("kcat-produce-none");
    const req = b64(cs[0][1]),
      resp = b64(cs[0][2]);
    const whole = run(req, resp);
    // The third request frame is a Produce v7: its topic array count sits after
    // header(8 + 2 + 7 "rdkafka") + transactional id(2) + acks(2) + timeout(4).
    const starts = frameStarts(req);
    const at = starts[2] + 4 + 8 + 2 + 7 + 2 + 2 + 4;
    store<u32>(req.ptr + <usize>at, 0xffffff7f);
    const bad = run(req, resp);
    expect(bad.malformed).toBe(1);
    expect(bad.gaveUpReason).toBe(-1);
    expect(bad.exchanges.length).toBe(whole.exchanges.length);
  });

  it("never traps whatever byte inside a frame is corrupted", () => {
    const cs = conns("kafkajs/010");
    const req0 = b64(cs[0][1]),
      resp0 = b64(cs[0][2]);
    const vals: u8[] = [0x00, 0x7f, 0x80, 0xff];
    let malformed = 0;
    for (let dir = 0; dir < 2; dir++) {
      const src = dir == 0 ? req0 : resp0;
      const starts = frameStarts(src);
      for (let pos = 0; pos < src.len; pos++) {
        let skip = false; // keep the size prefixes: framing is not the decoder's job
        for (let j = 0; j < starts.length; j++) if (pos >= starts[j] && pos < starts[j] + 4) skip = true;
        if (skip) continue;
        for (let v = 0; v < vals.length; v++) {
          const copy = new Bytes(heap.alloc(src.len), src.len);
          memory.copy(copy.ptr, src.ptr, src.len);
          store<u8>(copy.ptr + <usize>pos, vals[v]);
          const r = dir == 0 ? run(copy, resp0) : run(req0, copy);
          malformed += r.malformed;
          heap.free(copy.ptr);
        }
      }
    }
    expect(malformed).toBeGreaterThan(0);
  });
});

/** A source that remembers how far into it any read went. */
class WatchedSource extends MemorySource {
  end: i32 = 0;
  copy(start: i32, len: i32, dest: usize): i32 {
    const n = super.copy(start, len, dest);
    this.end = max(this.end, start + n);
    return n;
  }
}

/** A flexible Produce v9 request: one partition, one 4,000-byte batch of 7 records, then `tail`. */
function produceV9(tail: u8[]): WatchedSource {
  const batch: u8[] = [];
  for (let i = 0; i < 4000; i++) batch.push(0);
  batch[11] = <u8>(4000 - 12); // batchLength (4000 - 12 < 256)
  batch[10] = <u8>((4000 - 12) >> 8);
  batch[16] = 2; // magic
  batch[60] = 7; // records count
  const w = request(0, 9, 1, "app", true).cstr(null).i16(-1).i32(30000).carray(1).cstr("orders").carray(1).i32(0).cbytes(batch).raw(tail);
  const f = w.frame();
  return new WatchedSource(f.ptr, f.len);
}

describe("the end of a flexible Produce request", () => {
  it("is read to its last byte and decoded when a tagged field is there", () => {
    const r = new Recorder();
    const s = new KafkaSession(r);
    const src = produceV9([0, 0, 1, 0, 1, 0x2a]); // the request's tags: one tagged field of one byte
    s.feedRequests(src);
    expect(src.end).toBe(src.len);
    expect(s.inflight.size).toBe(1);
    expect(describe_(s.inflight.shift().request)).toBe(" T[orders n=1] P[orders/0 {b=1 r=7 B=4000 z=1 pid=0 o=0..1}]");
    expect(r.malformed).toBe(0);
    s.dispose();
  });

  it("is counted as malformed when the partition's tag section after the records is corrupt", () => {
    // Three bytes follow the records, as in a well-formed request, but the first claims five tags.
    const r = new Recorder();
    const s = new KafkaSession(r);
    s.feedRequests(produceV9([5, 0, 0]));
    expect(r.malformed).toBe(1);
    expect(s.inflight.size).toBe(1); // still framed and in flight: only its decoding failed
    s.dispose();
  });
});
