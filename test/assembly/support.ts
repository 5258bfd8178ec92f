// Test helpers: base64 fixtures, a session fed in chunks, an observer that writes down what it
// decoded as text (so different chunkings can be compared and values asserted), and metric values.
import { BlobStats } from "../../assembly/kafka/batches";
import { MemorySource } from "../../assembly/kafka/bytes";
import { GiveUp } from "../../assembly/kafka/framer";
import { apiName } from "../../assembly/kafka/header";
import { Message } from "../../assembly/kafka/messages/index";
import { Exchange, KafkaSession, SessionObserver, Undecoded } from "../../assembly/kafka/session";
import { MetricType } from "../../assembly/abi/enums";
import { hostId, series } from "../../assembly/metrics/registry";
import { CONNS } from "./fixtures.generated";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export class Bytes {
  constructor(
    readonly ptr: usize,
    readonly len: i32,
  ) {}
}

export function b64(s: string): Bytes {
  const out = heap.alloc(max(1, (s.length * 3) / 4 + 3));
  let acc: u32 = 0,
    bits = 0,
    n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == "=") break;
    acc = (acc << 6) | (<u32>B64.indexOf(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(out + <usize>n, <u8>((acc >>> bits) & 0xff));
      n++;
    }
  }
  return new Bytes(out, n);
}

export function hex(s: string): Bytes {
  const n = s.length / 2;
  const out = heap.alloc(max(1, n));
  for (let i = 0; i < n; i++) store<u8>(out + <usize>i, <u8>U8.parseInt(s.substr(i * 2, 2), 16));
  return new Bytes(out, n);
}

/** The fixture connections whose name starts with `prefix` ([name, request, response]). */
export function conns(prefix: string): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < CONNS.length; i++) if (CONNS[i][0].startsWith(prefix)) out.push(CONNS[i]);
  return out;
}

function stats(s: BlobStats): string {
  return (
    "{b=" +
    s.batches.toString() +
    " r=" +
    s.records.toString() +
    " B=" +
    s.bytes.toString() +
    " z=" +
    s.codecs.toString() +
    (s.transactional ? " txn" : "") +
    (s.control ? " ctl=" + s.control.toString() : "") +
    " pid=" +
    s.producerId.toString() +
    " o=" +
    s.firstOffset.toString() +
    ".." +
    s.nextOffset.toString() +
    (s.partial ? " partial" : "") +
    (s.corrupt ? " corrupt" : "") +
    "}"
  );
}

export function describe_(m: Message | null): string {
  if (m == null) return "-";
  let s = "";
  if (m.acks != -1) s += " acks=" + m.acks.toString();
  if (m.transactionalId.length) s += " txn=" + m.transactionalId;
  if (m.groupId.length) s += " group=" + m.groupId;
  if (m.memberId.length) s += " member=" + m.memberId;
  if (m.generation != -1) s += " gen=" + m.generation.toString();
  if (m.error) s += " error=" + m.error.toString();
  if (m.errors.length) s += " errors=" + m.errors.join(",");
  if (m.sessionId) s += " session=" + m.sessionId.toString();
  if (m.sessionEpoch != -1) s += " epoch=" + m.sessionEpoch.toString();
  if (m.isolation) s += " isolation=" + m.isolation.toString();
  if (m.replicaId != -1) s += " replica=" + m.replicaId.toString();
  if (m.mechanism.length) s += " mechanism=" + m.mechanism;
  if (m.principal.length) s += " principal=" + m.principal;
  if (m.protocolType.length) s += " ptype=" + m.protocolType;
  if (m.protocolName.length) s += " pname=" + m.protocolName;
  if (m.leader.length) s += " leader=" + m.leader;
  if (m.committed) s += " committed";
  if (m.key.length) s += " key=" + m.key;
  if (m.producerId != -1) s += " pid=" + m.producerId.toString();
  if (m.brokers != -1) s += " brokers=" + m.brokers.toString();
  if (m.members != -1) s += " members=" + m.members.toString();
  if (m.memberIds.length) s += " leaving=" + m.memberIds.join(",");
  for (let i = 0; i < m.nTopics; i++) {
    const t = m.topics[i];
    s += " T[" + t.name + " n=" + t.partitions.toString() + (t.error ? " e=" + t.error.toString() : "") + "]";
  }
  for (let i = 0; i < m.nParts; i++) {
    const p = m.part_(i);
    s += " P[" + (p.group.length ? p.group + ":" : "") + p.topic + "/" + p.partition.toString();
    if (p.error) s += " e=" + p.error.toString();
    if (p.offset != -1) s += " o=" + p.offset.toString();
    if (p.highWatermark != -1) s += " hw=" + p.highWatermark.toString();
    if (p.lastStable != -1) s += " lso=" + p.lastStable.toString();
    if (p.logStart != -1) s += " ls=" + p.logStart.toString();
    if (p.timestamp != -1) s += " ts=" + p.timestamp.toString();
    if (p.leaderId != -1) s += " leader=" + p.leaderId.toString();
    if (p.forgotten) s += " forgotten";
    if (p.records) s += " " + stats(p.records!);
    s += "]";
  }
  return s;
}

export class Recorder extends SessionObserver {
  lines: string[] = [];
  exchanges: Exchange[] = [];
  malformed: i32 = 0;
  unknownVersion: i32 = 0;
  unmatched: i32 = 0;
  gaveUpReason: i32 = -1;
  abandonedCount: i32 = 0;

  now(): u64 {
    return 0;
  }
  request(ex: Exchange): void {}
  response(ex: Exchange): void {
    this.exchanges.push(ex);
    this.lines.push(
      apiName(ex.apiKey) +
        " v" +
        ex.apiVersion.toString() +
        " client=" +
        ex.clientId +
        "\n  >" +
        describe_(ex.request) +
        "\n  <" +
        describe_(ex.response),
    );
  }
  abandoned(ex: Exchange): void {
    this.abandonedCount++;
    this.exchanges.push(ex);
    this.lines.push(apiName(ex.apiKey) + " v" + ex.apiVersion.toString() + " (no response)\n  >" + describe_(ex.request));
  }
  undecoded(response: bool, reason: Undecoded): void {
    if (reason == Undecoded.Malformed) this.malformed++;
    else if (reason == Undecoded.UnknownVersion) this.unknownVersion++;
    else this.unmatched++;
  }
  gaveUp(reason: GiveUp): void {
    this.gaveUpReason = reason;
  }

  get text(): string {
    return this.lines.join("\n");
  }
}

/** Feeds a stream in pieces: `cuts` are the split offsets (ascending), or every `step` bytes when step > 0. */
function feed(s: KafkaSession, b: Bytes, response: bool, step: i32, cuts: i32[]): void {
  let at = 0;
  let k = 0;
  while (at < b.len) {
    let next = b.len;
    if (step > 0) next = min(b.len, at + step);
    else if (k < cuts.length) next = cuts[k++];
    if (next <= at) continue;
    const src = new MemorySource(b.ptr + <usize>at, next - at);
    if (response) s.feedResponses(src);
    else s.feedRequests(src);
    at = next;
  }
}

/** Runs a connection: all requests, then all responses (each in `step`-byte chunks, 0 = whole). */
export function run(req: Bytes, resp: Bytes, step: i32 = 0, reqCuts: i32[] = [], respCuts: i32[] = []): Recorder {
  const r = new Recorder();
  const s = new KafkaSession(r);
  feed(s, req, false, step, reqCuts);
  feed(s, resp, true, step, respCuts);
  s.dispose();
  return r;
}

/** The offsets where frames start in a stream (size-prefixed). */
export function frameStarts(b: Bytes): i32[] {
  const out: i32[] = [];
  let at = 0;
  while (at + 4 <= b.len) {
    out.push(at);
    at += 4 + <i32>bswap<u32>(load<u32>(b.ptr + <usize>at));
  }
  return out;
}

@external("env", "proxy_get_metric")
declare function proxy_get_metric(id: u32, out: usize): u32;
const METRIC_OUT = memory.data(8);

/** A series' value as the host holds it (the as-pect stub: record sets, increment adds), everything pending handed over first. */
export function metricValue(type: MetricType, name: string, labels: string): i64 {
  proxy_get_metric(hostId(series(type, name, labels)), METRIC_OUT);
  return load<i64>(METRIC_OUT);
}
