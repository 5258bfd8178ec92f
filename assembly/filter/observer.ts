// Turns what a session sees into metrics. The only place that maps Kafka events to series.
import { nowNanos } from "../abi/host";
import { BlobStats } from "../kafka/batches";
import { GiveUp } from "../kafka/framer";
import { Message, PartEntry } from "../kafka/messages/index";
import { Exchange, SessionObserver, Undecoded } from "../kafka/session";
import {
  ApiMetrics,
  ConnectionMetrics,
  DeepMetrics,
  FetchSeries,
  GroupSeries,
  apiVersionIndex,
  clientLabels,
  groupLabels,
  topicLabels,
} from "../metrics/kafka";
import { LagTracker } from "../metrics/lag";
import { OTHER, inc, observe } from "../metrics/registry";
import {
  ALONE,
  CLIENT_GROUP,
  NOT_RAISED,
  generationKey,
  membersKey,
  publishLatest,
  raiseShared,
  readLatest,
  shareName,
  sharedName,
  sharedNumber,
  shareMembers848,
  sumMembers848,
} from "../metrics/shared";
import { tapRequest, tapResponse } from "./tap";

const PRODUCE: i16 = 0,
  FETCH: i16 = 1,
  LIST_OFFSETS: i16 = 2,
  METADATA: i16 = 3,
  OFFSET_COMMIT: i16 = 8,
  OFFSET_FETCH: i16 = 9,
  JOIN_GROUP: i16 = 11,
  HEARTBEAT: i16 = 12,
  LEAVE_GROUP: i16 = 13,
  SYNC_GROUP: i16 = 14,
  END_TXN: i16 = 26,
  TXN_OFFSET_COMMIT: i16 = 28,
  SASL_AUTHENTICATE: i16 = 36,
  CONSUMER_GROUP_HEARTBEAT: i16 = 68;

const MAX_CLIENTS: i32 = 10000;
const MAX_MEMBERS: i32 = 10000;

/** What kscope knows of a consumer group. */
class GroupState {
  generation: i32 = -1;
  members: i32 = 0;
  /** When `members` was learnt (host time), to take a later count from another worker. */
  membersAt: u64 = 0;
  /** KIP-848 groups: member ids seen heartbeating (on this VM's connections) and not yet left. */
  memberSet: Set<string> = new Set();
  kip848: bool = false;
  /** The KIP-848 member count this VM last published (-1: none): a heartbeat that changes nothing costs no shared data. */
  published848: i32 = -1;
  constructor(
    readonly name: string,
    readonly ids: GroupSeries,
  ) {}
}

/** The request's partition entry for (topic, partition), or null. Entries are usually in the same order. */
function findPart(m: Message, hint: i32, topic: string, partition: i32): PartEntry | null {
  if (hint < m.nParts) {
    const p = m.part_(hint);
    if (p.partition == partition && p.topic == topic) return p;
  }
  for (let i = 0; i < m.nParts; i++) {
    const p = m.part_(i);
    if (p.partition == partition && p.topic == topic) return p;
  }
  return null;
}

/**
 * kscope_delivery_latency_milliseconds: one observation per delivered data batch (proxy-wasm
 * histograms take no weights), the delivery time `now` (ns) minus the batch's time (see batchTime in
 * kafka/batches.ts). A head batch wholly below the fetch offset delivers nothing and is skipped.
 * A batch time ahead of the proxy's clock (producer clock skew) counts as 0 ms.
 */
function delivered(id: u32, s: BlobStats, from: i64, now: u64): void {
  const times = s.times;
  const nowMs = <i64>(now / 1_000_000);
  for (let k = 0; k < times.length; k++) {
    const t = unchecked(times[k]);
    if (t < 0 || (k == 0 && s.headDelivered(from) == 0)) continue;
    observe(id, nowMs > t ? <u64>(nowMs - t) : 0);
  }
}

function addFetched(f: FetchSeries, records: i64, bytes: i64): void {
  if (records > 0) inc(f.records, records);
  inc(f.bytes, bytes);
}

@inline function codecOf(mask: i32): i32 {
  return mask == 0 ? 0 : 31 - clz(mask);
}

export class MetricsObserver extends SessionObserver {
  readonly deep: DeepMetrics = new DeepMetrics();
  readonly lag: LagTracker = new LagTracker();
  /** Client id -> the consumer group it was last seen in (group APIs); Fetch carries no group. */
  private clientGroup: Map<string, string> = new Map();
  private groups: Map<string, GroupState> = new Map();

  /** labels: the workload's common labels (see identity.ts), current while its series are defined. */
  constructor(
    readonly labels: string,
    readonly conn: ConnectionMetrics,
    readonly api: ApiMetrics,
  ) {
    super();
  }

  now(): u64 {
    return nowNanos();
  }

  /** Nothing here outlives a callback: exchanges can be reused (see KafkaSession.recycle). */
  get recyclesExchanges(): bool {
    return true;
  }

  /** Lag seconds grow with time: the root context's tick should call this. */
  tick(): void {
    const now = nowNanos();
    this.lag.refresh(now, true);
    this.syncGroups(now);
    this.deep.syncTopics();
  }

  /**
   * Takes in what other worker VMs learnt of the groups this VM knows (./metrics/shared): a higher
   * generation, a later classic member count, the KIP-848 members heartbeating on their connections.
   */
  private syncGroups(now: u64): void {
    const names = this.groups.keys();
    for (let i = 0; i < names.length; i++) {
      const g = this.groups.get(unchecked(names[i]));
      const gen = sharedNumber(generationKey(g.name));
      if (gen > <i64>g.generation) {
        g.generation = <i32>gen;
        observe(g.ids.generation, <u64>gen);
      }
      if (g.kip848) {
        this.setMembers(g, sumMembers848(g.name), now, false);
        continue;
      }
      const f = readLatest(membersKey(g.name));
      if (f != null && f.time > g.membersAt) this.setMembers(g, <i32>f.value, f.time, false);
    }
  }

  request(ex: Exchange): void {
    tapRequest(ex);
    inc(this.api.requests.id(apiVersionIndex(ex.apiKey, ex.apiVersion)));
    inc(this.api.requestBytes.id(ex.apiKey), ex.requestBytes);
    inc(this.deep.client(ex.clientId).requestsId(ex.apiKey));
    if (ex.expectsResponse) inc(this.conn.inFlight, 1);
    const req = ex.request;
    if (req == null) return;
    switch (ex.apiKey) {
      case PRODUCE:
        this.produced(ex, req);
        break;
      case JOIN_GROUP:
      case SYNC_GROUP:
      case HEARTBEAT:
      case OFFSET_COMMIT:
      case CONSUMER_GROUP_HEARTBEAT: {
        if (req.groupId.length == 0) break;
        this.learnClient(ex.clientId, req.groupId);
        if (ex.apiKey == JOIN_GROUP) inc(this.group(req.groupId).ids.joins);
        break;
      }
      case LEAVE_GROUP: {
        if (req.groupId.length == 0) break;
        const g = this.group(req.groupId);
        const n = max(1, req.memberIds.length);
        inc(g.ids.leaves, n);
        const f = readLatest(membersKey(g.name)); // the count another worker may have learnt later
        const base = f != null && f.time > g.membersAt ? <i32>f.value : g.members;
        this.setMembers(g, max(0, base - n), ex.sentAt, true);
        break;
      }
    }
  }

  response(ex: Exchange): void {
    tapResponse(ex);
    inc(this.conn.inFlight, -1);
    inc(this.api.responses.id(apiVersionIndex(ex.apiKey, ex.apiVersion)));
    inc(this.api.responseBytes.id(ex.apiKey), ex.responseBytes);
    const micros = ex.receivedAt > ex.sentAt ? (ex.receivedAt - ex.sentAt) / 1000 : 0;
    observe(this.api.duration.id(ex.apiKey), micros);
    const client = this.deep.client(ex.clientId);
    observe(client.durationId(), micros);
    const resp = ex.response;
    if (resp == null) return;
    // A response with errors: any non-zero error code anywhere in it (top level, topic, partition,
    // group; the codes kscope_errors_total counts), once per response. Undecoded responses never are.
    if (resp.errors.length) inc(client.errorsId(ex.apiKey));
    const now = ex.receivedAt;
    this.errors(ex, resp);
    const req = ex.request;
    switch (ex.apiKey) {
      case PRODUCE:
        if (req) this.produceAcked(req, resp, now);
        break;
      case FETCH:
        this.fetched(ex, req, resp, now);
        break;
      case LIST_OFFSETS:
        if (req) this.listed(req, resp, now);
        break;
      case METADATA:
        this.metadata(resp);
        break;
      case OFFSET_COMMIT:
      case TXN_OFFSET_COMMIT:
        if (req) this.commitAcked(req, resp, now);
        break;
      case OFFSET_FETCH:
        this.offsetsFetched(req, resp, now);
        break;
      case JOIN_GROUP:
        if (req) this.joined(req, resp);
        break;
      case CONSUMER_GROUP_HEARTBEAT:
        if (req) this.heartbeat848(req, resp);
        break;
      case END_TXN:
        if (req && resp.error == 0) inc(this.deep.txnId(ex.clientId, req.committed));
        break;
      case SASL_AUTHENTICATE:
        if (req && req.principal.length) inc(this.deep.saslId(req.mechanism, req.principal, resp.error));
        break;
    }
    this.lag.refresh(now);
  }

  abandoned(ex: Exchange): void {
    inc(this.conn.inFlight, -1);
  }

  undecoded(response: bool, reason: Undecoded): void {
    inc(this.api.undecoded.id(((<i32>reason) << 1) | (response ? 1 : 0)));
  }

  gaveUp(reason: GiveUp): void {
    inc(this.conn.unparsed.id(reason));
  }

  // ---- per API ----

  /** Partitions of one topic and codec are summed first: one host call per series, not per partition. */
  private produced(ex: Exchange, req: Message): void {
    const client = clientLabels.admit(ex.clientId);
    let records: i64 = 0,
      bytes: i64 = 0,
      batches: i64 = 0;
    let topic: string | null = null;
    let codec = -1;
    for (let i = 0; i <= req.nParts; i++) {
      const p = i < req.nParts ? req.part_(i) : null;
      const s = p != null ? p.records : null;
      if (p != null && (s == null || s.batches == 0)) continue;
      const c = s != null ? codecOf(s.codecs) : -1;
      if (topic != null && (p == null || p.topic != topic || c != codec)) {
        const t = this.deep.topic(topic!);
        const ids = t.producedIds(client);
        if (records > 0) inc(t.producedId(ids, client, 0, codec), records);
        inc(t.producedId(ids, client, 1, codec), bytes);
        inc(t.producedId(ids, client, 2, codec), batches);
        records = 0;
        bytes = 0;
        batches = 0;
      }
      if (p == null || s == null) break;
      topic = p.topic;
      codec = c;
      records += s.records;
      bytes += s.bytes;
      batches += s.batches;
    }
  }

  /** acks=all: the partition's HW has reached base offset + records appended. */
  private produceAcked(req: Message, resp: Message, now: u64): void {
    if (req.acks != -1) return;
    for (let i = 0; i < resp.nParts; i++) {
      const p = resp.part_(i);
      if (p.error != 0 || p.offset < 0) continue;
      const q = findPart(req, i, p.topic, p.partition);
      if (q == null || q.records == null) continue;
      const s = q.records!;
      if (s.nextOffset > s.firstOffset && s.firstOffset >= 0)
        this.highWatermark(p.topic, p.partition, p.offset + (s.nextOffset - s.firstOffset), now);
    }
  }

  private fetched(ex: Exchange, req: Message | null, resp: Message, now: u64): void {
    const consumer = req == null || req.replicaId < 0;
    const client = clientLabels.admit(ex.clientId);
    let group = "";
    if (consumer && client != OTHER) group = this.groupOf(ex.clientId);
    // A topic's partitions are summed: its series are looked up and its counters incremented once.
    let f: FetchSeries | null = null;
    let topic = "";
    let records: i64 = 0,
      bytes: i64 = 0;
    for (let i = 0; i < resp.nParts; i++) {
      const p = resp.part_(i);
      if (p.error != 0) continue;
      this.highWatermark(p.topic, p.partition, p.highWatermark, now);
      const s = p.records;
      if (!consumer || s == null || s.batches == 0) continue;
      if (f == null || p.topic != topic) {
        if (f != null) addFetched(f, records, bytes);
        topic = p.topic;
        f = this.deep.topic(topic).fetchedIds(client, group);
        records = 0;
        bytes = 0;
      }
      // Records below the fetch offset are resent parts of a batch the consumer drops; bytes stay wire bytes.
      const q = req != null ? findPart(req, i, p.topic, p.partition) : null;
      const from = q != null && !q.forgotten ? q.offset : -1;
      records += max<i64>(s.deliveredRecords(from), 0);
      bytes += s.bytes;
      delivered(f!.latency, s, from, now);
    }
    if (f != null) addFetched(f, records, bytes);
  }

  /** ListOffsets for the latest offset (timestamp -1) answers the partition's HW. */
  private listed(req: Message, resp: Message, now: u64): void {
    if (req.isolation != 0) return; // read_committed answers the LSO
    for (let i = 0; i < resp.nParts; i++) {
      const p = resp.part_(i);
      if (p.error != 0 || p.offset < 0) continue;
      const q = findPart(req, i, p.topic, p.partition);
      if (q != null && q.timestamp == -1) this.highWatermark(p.topic, p.partition, p.offset, now);
    }
  }

  private metadata(resp: Message): void {
    if (resp.brokers >= 0) observe(this.deep.brokers, <u64>resp.brokers);
    for (let i = 0; i < resp.nTopics; i++) {
      const t = unchecked(resp.topics[i]);
      if (t.error != 0 || t.name.length == 0) continue;
      const s = this.deep.topic(t.name);
      if (s.topic != OTHER) s.setPartitions(t.partitions);
    }
    for (let i = 0; i < resp.nParts; i++) {
      const p = resp.part_(i);
      if (p.leaderId < 0 || p.topic.length == 0) continue;
      const t = this.deep.topic(p.topic);
      if (t.topic != OTHER) t.setLeader(p.partition, p.leaderId, p.leaderEpoch);
    }
  }

  private commitAcked(req: Message, resp: Message, now: u64): void {
    if (req.groupId.length == 0) return;
    for (let i = 0; i < resp.nParts; i++) {
      const p = resp.part_(i);
      if (p.error != 0) continue;
      const q = findPart(req, i, p.topic, p.partition);
      if (q != null) this.committed(req.groupId, p.topic, p.partition, q.offset, now);
    }
  }

  private offsetsFetched(req: Message | null, resp: Message, now: u64): void {
    for (let i = 0; i < resp.nParts; i++) {
      const p = resp.part_(i);
      if (p.error != 0 || p.offset < 0) continue;
      const group = p.group.length ? p.group : req != null ? req.groupId : "";
      if (group.length) this.committed(group, p.topic, p.partition, p.offset, now);
    }
  }

  private joined(req: Message, resp: Message): void {
    if (resp.error != 0 || req.groupId.length == 0) return;
    const g = this.group(req.groupId);
    this.generation(g, resp.generation);
    if (resp.members > 0) this.setMembers(g, resp.members, nowNanos(), true);
  }

  /** KIP-848: epoch -1/-2 leaves, anything else answered without error is a live member. */
  private heartbeat848(req: Message, resp: Message): void {
    if (req.groupId.length == 0) return;
    const g = this.group(req.groupId);
    g.kip848 = true;
    const member = resp.memberId.length ? resp.memberId : req.memberId;
    if (req.generation < 0) {
      if (g.memberSet.has(req.memberId)) {
        g.memberSet.delete(req.memberId);
        inc(g.ids.leaves);
      }
    } else if (resp.error == 0 && member.length && g.memberSet.size < MAX_MEMBERS) {
      g.memberSet.add(member);
      this.generation(g, resp.generation);
    }
    // Each worker sees the members heartbeating on its own connections: the gauge is their sum,
    // set by the worker whose count changed (the others' changes also arrive on the tick).
    g.members = g.memberSet.size;
    if (g.members == g.published848) return;
    g.published848 = g.members;
    observe(g.ids.members, <u64>shareMembers848(g.name, g.members));
  }

  private errors(ex: Exchange, resp: Message): void {
    for (let i = 0; i < resp.errors.length; i++) inc(this.deep.errorId(ex.apiKey, unchecked(resp.errors[i])));
    for (let i = 0; i < resp.nParts; i++) {
      const p = resp.part_(i);
      if (p.error != 0 && p.topic.length) inc(this.deep.topic(p.topic).errorId(ex.apiKey, p.error));
    }
  }

  // ---- helpers ----

  private highWatermark(topic: string, partition: i32, hw: i64, now: u64): void {
    if (hw < 0 || topic.length == 0) return;
    const t = topicLabels.admit(topic);
    if (t != OTHER) this.lag.highWatermark(t, partition, hw, now);
  }

  private committed(group: string, topic: string, partition: i32, offset: i64, now: u64): void {
    const t = topicLabels.admit(topic),
      g = groupLabels.admit(group);
    if (t != OTHER && g != OTHER) this.lag.committed(g, t, partition, offset, now);
  }

  private learnClient(client: string, group: string): void {
    if (client.length == 0) return;
    // only admitted client ids: the others share one `__other__` series whatever their group
    if (this.clientGroup.has(client) || (this.clientGroup.size < MAX_CLIENTS && clientLabels.admit(client) != OTHER)) {
      if (!this.clientGroup.has(client) || this.clientGroup.get(client) != group) shareName(CLIENT_GROUP, client, group);
      this.clientGroup.set(client, group);
    }
  }

  /** The group label of an admitted client id: learnt here, or from the worker that saw its group requests. */
  private groupOf(client: string): string {
    if (this.clientGroup.has(client)) return groupLabels.admit(this.clientGroup.get(client));
    // (a consumer without a group, assign(), asks on each Fetch response: one shared-data read)
    const g = sharedName(CLIENT_GROUP, client);
    if (g == null) return "";
    if (this.clientGroup.size < MAX_CLIENTS) this.clientGroup.set(client, g);
    return groupLabels.admit(g);
  }

  private group(name: string): GroupState {
    if (this.groups.has(name)) return this.groups.get(name);
    const ids = this.deep.group(name);
    const g = new GroupState(ids.group == OTHER ? OTHER : name, ids); // no shared key per turned-away name
    // groups past the label budget share `__other__` series; their state is not kept (its memory is the client's to choose)
    if (this.groups.size < MAX_CLIENTS && ids.group != OTHER) this.groups.set(name, g);
    return g;
  }

  /**
   * A generation (or member epoch) seen on the wire. A rebalance is counted once for the proxy:
   * by the worker whose VM raises the shared generation above a known one (every member of a
   * classic group gets the new generation, and members sit on different workers).
   */
  private generation(g: GroupState, gen: i32): void {
    if (gen <= g.generation) return;
    const prev = raiseShared(generationKey(g.name), gen);
    if (prev == ALONE ? g.generation >= 0 : prev != NOT_RAISED && prev >= 0) inc(g.ids.rebalances);
    g.generation = gen;
    observe(g.ids.generation, <u64>max<i64>(gen, sharedNumber(generationKey(g.name))));
  }

  /** A classic group's member count learnt at `at` (shared with the other workers when `publish`). */
  private setMembers(g: GroupState, n: i32, at: u64, publish: bool): void {
    g.members = n;
    g.membersAt = at;
    if (publish) publishLatest(membersKey(g.name), n, at);
    observe(g.ids.members, <u64>n);
  }
}
