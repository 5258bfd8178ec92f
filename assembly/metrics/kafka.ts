// The filter's Kafka series: how each metric of the vocabulary (vocabulary/metrics.ts, shared
// with the host) is labelled and when its ids are made.
import { MetricType } from "../abi/enums";
import * as M from "../../vocabulary/metrics";
import * as L from "../../vocabulary/labels";
import { API_KEY_COUNT, API_MAX_VERSION, API_MIN_VERSION } from "../kafka/generated/apis";
import { apiName } from "../kafka/header";
import { GIVE_UP_REASONS } from "../kafka/framer";
import { ERROR_NAMES } from "../kafka/generated/errors";
import { IndexedFamily, LabelBudget, OTHER, label, observe, series } from "./registry";
import { initCommitIndex, leaderKey, readLatest, shareLeader, sharePartitions, vmSlot } from "./shared";

export const VERSION_SLOTS: i32 = 32;

function apiLabel(i: i32): string {
  return label(L.api, apiName(<i16>i));
}
/** The slot of every version outside the codec's range for its API (Kafka's highest version is 18). */
const UNKNOWN_VERSION: i32 = VERSION_SLOTS - 1;
function apiVersionLabels(i: i32): string {
  const v = i % VERSION_SLOTS;
  return label(L.api, apiName(<i16>(i / VERSION_SLOTS))) + label(L.version, v == UNKNOWN_VERSION ? "unknown" : v.toString());
}
function reasonLabel(i: i32): string {
  return label(L.reason, GIVE_UP_REASONS[i]);
}

/** Indexed by session.ts's Undecoded. */
export const UNDECODED_REASONS: StaticArray<string> = ["unknown_version", "malformed", "unmatched", "oversize"];
function undecodedLabel(i: i32): string {
  return label(L.direction, i & 1 ? "response" : "request") + label(L.reason, UNDECODED_REASONS[i >> 1]);
}

/** Index of an (api, version) pair in the per-version families; versions the codec does not know share version="unknown". */
export function apiVersionIndex(key: i16, version: i16): i32 {
  if (<u32>key >= <u32>API_KEY_COUNT) return -1;
  const known = version >= unchecked(API_MIN_VERSION[key]) && version <= unchecked(API_MAX_VERSION[key]) && <i32>version < UNKNOWN_VERSION;
  return <i32>key * VERSION_SLOTS + (known ? <i32>version : UNKNOWN_VERSION);
}

export class ConnectionMetrics {
  readonly total: u32 = series(MetricType.Counter, M.connectionsTotal, "");
  readonly active: u32 = series(MetricType.Gauge, M.connectionsActive, "");
  readonly unparsed: IndexedFamily = new IndexedFamily(MetricType.Counter, M.connectionsUnparsed, GIVE_UP_REASONS.length, reasonLabel);
  readonly inFlight: u32 = series(MetricType.Gauge, M.requestsInFlight, "");
}

export class ApiMetrics {
  readonly requests: IndexedFamily = new IndexedFamily(MetricType.Counter, M.requests, API_KEY_COUNT * VERSION_SLOTS, apiVersionLabels);
  readonly responses: IndexedFamily = new IndexedFamily(MetricType.Counter, M.responses, API_KEY_COUNT * VERSION_SLOTS, apiVersionLabels);
  readonly requestBytes: IndexedFamily = new IndexedFamily(MetricType.Counter, M.requestBytes, API_KEY_COUNT, apiLabel);
  readonly responseBytes: IndexedFamily = new IndexedFamily(MetricType.Counter, M.responseBytes, API_KEY_COUNT, apiLabel);
  /** Microseconds: proxy-wasm histograms take integers and Envoy exports them unscaled. */
  readonly duration: IndexedFamily = new IndexedFamily(MetricType.Histogram, M.requestDuration, API_KEY_COUNT, apiLabel);
  readonly undecoded: IndexedFamily = new IndexedFamily(
    MetricType.Counter,
    M.framesUndecoded,
    UNDECODED_REASONS.length * 2,
    undecodedLabel,
  );
}

// ---- What the traffic means: topics, groups, lag (fed by filter/observer.ts) ----------------

/** Record batch codecs by attribute value; the last one stands for every value Kafka does not define (5-7). */
export const COMPRESSION: StaticArray<string> = ["none", "gzip", "snappy", "lz4", "zstd", "unknown"];
const CODECS: i32 = COMPRESSION.length;
const PRODUCED_NAMES: StaticArray<string> = [M.producedRecords, M.producedBytes, M.producedBatches];

/** Label budgets for client-chosen values; the limit comes from max_label_values. */
export const topicLabels = new LabelBudget(L.topic, 200);
export const groupLabels = new LabelBudget(L.group, 200);
export const clientLabels = new LabelBudget(L.clientId, 200);
export const principalLabels = new LabelBudget(L.principal, 200);

/** Sets the distinct values kept per client-chosen label (plugin configuration max_label_values). */
export function setLabelLimit(n: i32): void {
  if (n <= 0) return;
  topicLabels.limit = n;
  groupLabels.limit = n;
  clientLabels.limit = n;
  principalLabels.limit = n;
  topicLabels.init();
  groupLabels.init();
  clientLabels.init();
  principalLabels.init();
  initCommitIndex();
  vmSlot();
}

/** Every code Kafka does not define (a newer broker's, or garbage) shares one series: an int16 from the wire must not mint 65,536. */
const OTHER_CODE: i16 = i16.MIN_VALUE;

/** The code as counted: OTHER_CODE for codes kafka-clients does not name. */
export function boundedCode(code: i16): i16 {
  const i = <i32>code + 1;
  return i >= 0 && i < ERROR_NAMES.length && unchecked(ERROR_NAMES[i]).length ? code : OTHER_CODE;
}

/** The name of a Kafka error code (e.g. NOT_LEADER_OR_FOLLOWER), "unknown" for a code Kafka does not define. */
export function errorName(code: i16): string {
  return boundedCode(code) == OTHER_CODE ? "unknown" : ERROR_NAMES[<i32>code + 1];
}

const UNSET: u32 = u32.MAX_VALUE - 1;
/** Partitions per topic with a leader gauge (partition ids come from the wire). */
const MAX_LEADERS: i32 = 10000;

/** Per topic (one per admitted topic label; overflowing topics share the `__other__` one). */
export class TopicSeries {
  /** client id -> [records, bytes, batches] x codec ids. */
  private produced: Map<string, StaticArray<u32>> = new Map();
  /** client id -> [records, bytes] (the client's group is looked up when the entry is made). */
  private fetched: Map<string, FetchSeries> = new Map();
  private errors: Map<i32, u32> = new Map();
  /** partition -> kscope_partition_leader id (Metadata responses list every partition each time). */
  private leaders: Map<i32, u32> = new Map();
  /** The leader and epoch of each partition's last Metadata answer on this VM (leader << 32 | epoch). */
  private leaderSeen: Map<i32, i64> = new Map();
  partitions: u32 = UNSET;
  /** The most partitions this VM saw in Metadata answers (0: none). */
  private partitionCount: i32 = 0;
  constructor(readonly topic: string) {}

  producedIds(client: string): StaticArray<u32> {
    if (this.produced.has(client)) return this.produced.get(client);
    const a = unsetIds(PRODUCED_NAMES.length * CODECS);
    this.produced.set(client, a);
    return a;
  }

  /** Counter ids for produced records (k=0), bytes (1) or batches (2) with a codec; a codec out of range counts as unknown. */
  producedId(ids: StaticArray<u32>, client: string, k: i32, codec: i32): u32 {
    if (<u32>codec >= <u32>CODECS) codec = CODECS - 1;
    const i = k * CODECS + codec;
    if (<u32>i >= <u32>ids.length) return u32.MAX_VALUE;
    let id = unchecked(ids[i]);
    if (id == UNSET) {
      id = series(
        MetricType.Counter,
        PRODUCED_NAMES[k],
        label(L.topic, this.topic) + label(L.clientId, client) + label(L.compression, COMPRESSION[codec]),
      );
      unchecked((ids[i] = id));
    }
    return id;
  }

  fetchedIds(client: string, group: string): FetchSeries {
    if (this.fetched.has(client)) {
      const f = this.fetched.get(client);
      if (f.group == group) return f;
    }
    const labels = label(L.topic, this.topic) + label(L.group, group) + label(L.clientId, client);
    const f = new FetchSeries(
      group,
      series(MetricType.Counter, M.fetchedRecords, labels),
      series(MetricType.Counter, M.fetchedBytes, labels),
      series(MetricType.Histogram, M.deliveryLatency, label(L.topic, this.topic) + label(L.group, group)),
    );
    this.fetched.set(client, f);
    return f;
  }

  errorId(api: i16, code: i16): u32 {
    const k = ((<i32>api) << 16) | ((<i32>boundedCode(code)) & 0xffff);
    if (this.errors.has(k)) return this.errors.get(k);
    const id = series(
      MetricType.Counter,
      M.topicErrors,
      label(L.topic, this.topic) + label(L.api, apiName(api)) + label(L.error, errorName(code)),
    );
    this.errors.set(k, id);
    return id;
  }

  partitionsId(): u32 {
    if (this.partitions == UNSET) this.partitions = series(MetricType.Gauge, M.topicPartitions, label(L.topic, this.topic));
    return this.partitions;
  }

  /** kscope_topic_partitions from a Metadata answer: the most any worker saw (./shared). */
  // Clients ask for Metadata again and again with the same answer: only news from this VM goes to
  // shared data (calls that cost ~2 µs each in Envoy); news from other VMs arrives on the tick.
  setPartitions(n: i32): void {
    if (n <= this.partitionCount) return;
    this.partitionCount = n;
    this.publishPartitions();
  }

  private publishPartitions(): void {
    observe(this.partitionsId(), <u64>sharePartitions(this.topic, this.partitionCount));
  }

  /** kscope_partition_leader from a Metadata answer: the leader of the highest epoch any worker saw (./shared). */
  setLeader(partition: i32, leader: i32, epoch: i32): void {
    const id = this.leaderId(partition);
    if (id == u32.MAX_VALUE) return;
    const seen = ((<i64>leader) << 32) | (<i64>(<u32>epoch));
    if (this.leaderSeen.has(partition) && this.leaderSeen.get(partition) == seen) return;
    this.leaderSeen.set(partition, seen);
    observe(id, <u64>shareLeader(this.topic, partition, leader, epoch));
  }

  /** Takes in what other workers learnt since (the root's tick): every worker's gauges say the same. */
  syncMetadata(): void {
    if (this.partitionCount > 0) this.publishPartitions();
    const parts = this.leaders.keys();
    for (let i = 0; i < parts.length; i++) {
      const p = unchecked(parts[i]);
      const f = readLatest(leaderKey(this.topic, p));
      if (f != null) observe(this.leaders.get(p), <u64>f.value);
    }
  }

  leaderId(partition: i32): u32 {
    if (this.leaders.has(partition)) return this.leaders.get(partition);
    if (partition < 0 || this.leaders.size >= MAX_LEADERS) return u32.MAX_VALUE;
    const id = series(MetricType.Gauge, M.partitionLeader, label(L.topic, this.topic) + label(L.partition, partition.toString()));
    if (id != u32.MAX_VALUE) this.leaders.set(partition, id); // past the series budget: nothing kept
    return id;
  }
}

export class FetchSeries {
  /** latency: kscope_delivery_latency_milliseconds{topic, group} (shared by the group's clients). */
  constructor(
    readonly group: string,
    readonly records: u32,
    readonly bytes: u32,
    readonly latency: u32,
  ) {}
}

/**
 * Per client id (one per admitted client_id label; overflowing clients share the `__other__` one):
 * requests and responses with errors by API, and request durations. Ids are made on first use.
 */
export class ClientSeries {
  private requests: StaticArray<u32> = unsetIds(API_KEY_COUNT);
  private errors: StaticArray<u32> = unsetIds(API_KEY_COUNT);
  private duration: u32 = UNSET;
  constructor(readonly client: string) {}

  /** kscope_client_requests_total{client_id, api}; u32.MAX_VALUE for an API key kscope does not know. */
  requestsId(api: i16): u32 {
    return this.apiId(this.requests, M.clientRequests, api);
  }
  /** kscope_client_errors_total{client_id, api}. */
  errorsId(api: i16): u32 {
    return this.apiId(this.errors, M.clientErrors, api);
  }

  durationId(): u32 {
    if (this.duration == UNSET) this.duration = series(MetricType.Histogram, M.clientDuration, label(L.clientId, this.client));
    return this.duration;
  }

  private apiId(ids: StaticArray<u32>, name: string, api: i16): u32 {
    const i = <i32>api;
    if (i < 0 || i >= ids.length) return u32.MAX_VALUE;
    let id = unchecked(ids[i]);
    if (id == UNSET) {
      id = series(MetricType.Counter, name, label(L.clientId, this.client) + label(L.api, apiName(api)));
      unchecked((ids[i] = id));
    }
    return id;
  }
}

function unsetIds(n: i32): StaticArray<u32> {
  const a = new StaticArray<u32>(n);
  for (let i = 0; i < n; i++) unchecked((a[i] = UNSET));
  return a;
}

/** Per consumer group. */
export class GroupSeries {
  readonly members: u32;
  readonly generation: u32;
  readonly rebalances: u32;
  readonly joins: u32;
  readonly leaves: u32;
  constructor(readonly group: string) {
    const l = label(L.group, group);
    this.members = series(MetricType.Gauge, M.groupMembers, l);
    this.generation = series(MetricType.Gauge, M.groupGeneration, l);
    this.rebalances = series(MetricType.Counter, M.groupRebalances, l);
    this.joins = series(MetricType.Counter, M.groupJoins, l);
    this.leaves = series(MetricType.Counter, M.groupLeaves, l);
  }
}

/** Gauges of one partition of a topic (high watermark; its leader is TopicSeries.leaderId) and of a group's view of it (offset, lag). */
export function highWatermarkId(topic: string, partition: i32): u32 {
  return series(MetricType.Gauge, M.highWatermark, label(L.topic, topic) + label(L.partition, partition.toString()));
}
export class CommitSeries {
  readonly committed: u32;
  readonly lagRecords: u32;
  readonly lagSeconds: u32;
  constructor(group: string, topic: string, partition: i32) {
    const l = label(L.group, group) + label(L.topic, topic) + label(L.partition, partition.toString());
    this.committed = series(MetricType.Gauge, M.committedOffset, l);
    this.lagRecords = series(MetricType.Gauge, M.lagRecords, l);
    this.lagSeconds = series(MetricType.Gauge, M.lagSeconds, l);
  }
}

/**
 * Series objects keyed by a client-chosen label value (topic, group, client id). Only admitted
 * values are cached: values past the budget share the `__other__` object without growing the
 * map. The last hit is remembered: a request's partitions mostly share one topic, and a
 * connection's requests one client id.
 */
class Labelled<T> {
  private map: Map<string, T> = new Map();
  private lastName: string = "";
  private last: T | null = null;
  constructor(
    private budget: LabelBudget,
    private make: (label: string) => T,
  ) {}

  values(): T[] {
    return this.map.values();
  }

  get(name: string): T {
    const last = this.last;
    if (last != null && name == this.lastName) return last;
    let t: T;
    if (this.map.has(name)) t = this.map.get(name);
    else {
      const l = this.budget.admit(name);
      if (this.map.has(l)) t = this.map.get(l);
      else {
        const make = this.make;
        t = make(l);
        this.map.set(l, t);
      }
    }
    this.lastName = name;
    this.last = t;
    return t;
  }
}

function newTopic(l: string): TopicSeries {
  return new TopicSeries(l);
}
function newGroup(l: string): GroupSeries {
  return new GroupSeries(l);
}
function newClient(l: string): ClientSeries {
  return new ClientSeries(l);
}

export class DeepMetrics {
  private topics: Labelled<TopicSeries> = new Labelled<TopicSeries>(topicLabels, newTopic);
  private groups: Labelled<GroupSeries> = new Labelled<GroupSeries>(groupLabels, newGroup);
  private clients: Labelled<ClientSeries> = new Labelled<ClientSeries>(clientLabels, newClient);
  private errors: Map<i32, u32> = new Map();
  private sasl: Map<string, u32> = new Map();
  private txns: Map<string, u32> = new Map();
  readonly brokers: u32 = series(MetricType.Gauge, M.clusterBrokers, "");

  topic(name: string): TopicSeries {
    return this.topics.get(name);
  }
  /** Partitions and leaders from what every worker learnt (see TopicSeries.syncMetadata). */
  syncTopics(): void {
    const ts = this.topics.values();
    for (let i = 0; i < ts.length; i++) {
      const t = unchecked(ts[i]);
      if (t.topic != OTHER) t.syncMetadata();
    }
  }
  group(name: string): GroupSeries {
    return this.groups.get(name);
  }
  client(name: string): ClientSeries {
    return this.clients.get(name);
  }

  errorId(api: i16, code: i16): u32 {
    const k = ((<i32>api) << 16) | ((<i32>boundedCode(code)) & 0xffff);
    if (this.errors.has(k)) return this.errors.get(k);
    const id = series(MetricType.Counter, M.errors, label(L.api, apiName(api)) + label(L.error, errorName(code)));
    this.errors.set(k, id);
    return id;
  }

  /** SASL authentications by mechanism, principal and result (ok or the error name). */
  saslId(mechanism: string, principal: string, error: i16): u32 {
    // keyed by what the series says, so the map is as bounded as the labels
    const who = principal.length ? principalLabels.admit(principal) : "unknown";
    const result = error == 0 ? "ok" : errorName(error);
    const key = mechanism + "\n" + who + "\n" + result;
    if (this.sasl.has(key)) return this.sasl.get(key);
    const id = series(
      MetricType.Counter,
      M.saslAuthentications,
      label(L.mechanism, mechanism.length ? mechanism : "unknown") + label(L.principal, who) + label(L.result, result),
    );
    this.sasl.set(key, id);
    return id;
  }

  /** Transactions ended (EndTxn answered without error) by client id and commit/abort. */
  txnId(client: string, committed: bool): u32 {
    const who = clientLabels.admit(client);
    const key = (committed ? "c" : "a") + who;
    if (this.txns.has(key)) return this.txns.get(key);
    const id = series(MetricType.Counter, M.transactions, label(L.clientId, who) + label(L.result, committed ? "commit" : "abort"));
    this.txns.set(key, id);
    return id;
  }
}
