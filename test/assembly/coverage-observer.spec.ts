// Paths of the metrics observer that no recorded client reaches (found with `make coverage`),
// each one a series a user reads: partition errors by topic, SASL logins, rebalances, bytes
// that are not Kafka, frames of versions kscope does not know, label values that must be made
// safe, and topic ids shown as Kafka prints them. Messages are written by hand (wire.ts).
import { MetricType } from "../../assembly/abi/enums";
import { MetricsObserver } from "../../assembly/filter/observer";
import { MemorySource } from "../../assembly/kafka/bytes";
import { KafkaSession } from "../../assembly/kafka/session";
import { learnTopicId, topicIdKnown, topicName, uuidString } from "../../assembly/kafka/messages/names";
import { ApiMetrics, ConnectionMetrics } from "../../assembly/metrics/kafka";
import { label, sanitize } from "../../assembly/metrics/registry";
import { metricValue } from "./support";
import { request, response, utf8, Wire } from "./wire";

function value(type: MetricType, name: string, labels: string): i64 {
  return metricValue(type, name, labels);
}
function counter(name: string, labels: string): i64 {
  return value(MetricType.Counter, name, labels);
}

const PRODUCE = 0,
  JOIN_GROUP = 11,
  TXN_OFFSET_COMMIT = 28,
  SASL_AUTHENTICATE = 36;
const obs = new MetricsObserver("", new ConnectionMetrics(), new ApiMetrics());

/** One connection: the request frames, then the response frames. */
function exchange(requests: Wire[], responses: Wire[]): void {
  const s = new KafkaSession(obs);
  for (let i = 0; i < requests.length; i++) s.feedRequests(requests[i].frame());
  for (let i = 0; i < responses.length; i++) s.feedResponses(responses[i].frame());
  s.dispose();
}

/** Produce v9 of one partition without records (acks=all), and its answer with `error`. */
function produce(corr: i32, client: string, topic: string, error: i16): Wire[] {
  const req = request(PRODUCE, 9, corr, client, true)
    .cstr(null)
    .i16(-1)
    .i32(30000) // transactional id, acks, timeout
    .carray(1)
    .cstr(topic)
    .carray(1)
    .i32(0)
    .uvarint(0)
    .tags()
    .tags() // topic, partition 0, null records
    .tags();
  const resp = response(corr, true)
    .carray(1)
    .cstr(topic)
    .carray(1)
    .i32(0)
    .i16(error)
    .i64(error ? -1 : 41)
    .i64(-1)
    .i64(0)
    .carray(0)
    .cstr(null)
    .tags() // partition 0
    .tags()
    .i32(0)
    .tags(); // throttle time
  return [req, resp];
}

function saslAuthenticate(corr: i32, token: u8[], error: i16): Wire[] {
  const req = request(SASL_AUTHENTICATE, 2, corr, "cov-sasl", true).cbytes(token).tags();
  const resp = response(corr, true)
    .i16(error)
    .cstr(error ? "authentication failed" : null)
    .cbytes([])
    .i64(0)
    .tags();
  return [req, resp];
}

function joinGroup(corr: i32, group: string, generation: i32): Wire[] {
  const req = request(JOIN_GROUP, 9, corr, "cov-member", true)
    .cstr(group)
    .i32(45000)
    .i32(300000)
    .cstr("m-1")
    .cstr(null)
    .cstr("consumer")
    .carray(1)
    .cstr("range")
    .cbytes([])
    .tags()
    .cstr(null)
    .tags();
  const resp = response(corr, true)
    .i32(0)
    .i16(0)
    .i32(generation)
    .cstr("consumer")
    .cstr("range")
    .cstr("m-1")
    .i8(0)
    .cstr("m-1")
    .carray(1)
    .cstr("m-1")
    .cstr(null)
    .cbytes([])
    .tags()
    .tags();
  return [req, resp];
}

describe("errors a user reads", () => {
  it("a partition error counts per API, per topic and against the client", () => {
    const p = produce(7, "cov-producer", "cov-errors", 6);
    exchange([p[0]], [p[1]]);
    expect(counter("kscope_errors_total", label("api", "Produce") + label("error", "NOT_LEADER_OR_FOLLOWER"))).toBe(1);
    expect(
      counter(
        "kscope_topic_errors_total",
        label("topic", "cov-errors") + label("api", "Produce") + label("error", "NOT_LEADER_OR_FOLLOWER"),
      ),
    ).toBe(1);
    expect(counter("kscope_client_errors_total", label("client_id", "cov-producer") + label("api", "Produce"))).toBe(1);
    expect(counter("kscope_client_requests_total", label("client_id", "cov-producer") + label("api", "Produce"))).toBe(1);
    // a failed append says nothing about the partition's high watermark
    expect(value(MetricType.Gauge, "kscope_partition_high_watermark", label("topic", "cov-errors") + label("partition", "0"))).toBe(0);
  });

  it("a response without errors counts no error", () => {
    const p = produce(8, "cov-producer-ok", "cov-fine", 0);
    exchange([p[0]], [p[1]]);
    expect(counter("kscope_client_requests_total", label("client_id", "cov-producer-ok") + label("api", "Produce"))).toBe(1);
    expect(counter("kscope_client_errors_total", label("client_id", "cov-producer-ok") + label("api", "Produce"))).toBe(0);
  });
});

describe("transactional commits", () => {
  it("TxnOffsetCommit sets the group's committed offset for the partitions answered without error", () => {
    const req = request(TXN_OFFSET_COMMIT, 3, 5, "cov-eos", true)
      .cstr("txn-1")
      .cstr("cov-eos-group")
      .i64(1000)
      .i16(0)
      .i32(3)
      .cstr("m-1")
      .cstr(null)
      .carray(1)
      .cstr("cov-eos-topic")
      .carray(2)
      .i32(0)
      .i64(42)
      .i32(-1)
      .cstr(null)
      .tags()
      .i32(1)
      .i64(7)
      .i32(-1)
      .cstr(null)
      .tags()
      .tags()
      .tags();
    const resp = response(5, true)
      .i32(0)
      .carray(1)
      .cstr("cov-eos-topic")
      .carray(2)
      .i32(0)
      .i16(0)
      .tags()
      .i32(1)
      .i16(47)
      .tags() // partition 1: INVALID_PRODUCER_EPOCH
      .tags()
      .tags();
    exchange([req], [resp]);
    const at = (p: string): string => label("group", "cov-eos-group") + label("topic", "cov-eos-topic") + label("partition", p);
    expect(value(MetricType.Gauge, "kscope_group_committed_offset", at("0"))).toBe(42);
    expect(value(MetricType.Gauge, "kscope_group_committed_offset", at("1"))).toBe(0);
    expect(
      counter(
        "kscope_topic_errors_total",
        label("topic", "cov-eos-topic") + label("api", "TxnOffsetCommit") + label("error", "INVALID_PRODUCER_EPOCH"),
      ),
    ).toBe(1);
  });
});

describe("SASL", () => {
  it("names the PLAIN user (authzid first) and the SCRAM user, with the result", () => {
    const plain: u8[] = [0]; // empty authzid, NUL, authcid, NUL, password
    const a = saslAuthenticate(1, plain.concat(utf8("alice")).concat([0]).concat(utf8("s3cret")), 0);
    const withAuthz = saslAuthenticate(2, utf8("admin").concat([0]).concat(utf8("alice")).concat([0]).concat(utf8("s3cret")), 0);
    const scram = saslAuthenticate(3, utf8("n,,n=bob,r=fyko+d2lbbFgONRv9qkxdawL"), 58);
    exchange([a[0], withAuthz[0], scram[0]], [a[1], withAuthz[1], scram[1]]);
    const sasl = "kscope_sasl_authentications_total";
    expect(counter(sasl, label("mechanism", "PLAIN") + label("principal", "alice") + label("result", "ok"))).toBe(1);
    expect(counter(sasl, label("mechanism", "PLAIN") + label("principal", "admin") + label("result", "ok"))).toBe(1);
    expect(counter(sasl, label("mechanism", "SCRAM") + label("principal", "bob") + label("result", "SASL_AUTHENTICATION_FAILED"))).toBe(1);
  });

  it("a token that names nobody is not counted", () => {
    const t = saslAuthenticate(4, utf8("c=biws,r=fyko,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="), 0); // SCRAM client-final: no user
    exchange([t[0]], [t[1]]);
    expect(
      counter("kscope_sasl_authentications_total", label("mechanism", "SCRAM") + label("principal", "unknown") + label("result", "ok")),
    ).toBe(0);
    expect(
      counter("kscope_sasl_authentications_total", label("mechanism", "unknown") + label("principal", "unknown") + label("result", "ok")),
    ).toBe(0);
  });
});

describe("groups", () => {
  it("a higher generation is a rebalance; the first generation seen is not", () => {
    const g1 = joinGroup(1, "cov-group", 1);
    const g2 = joinGroup(2, "cov-group", 2);
    const again = joinGroup(3, "cov-group", 2);
    exchange([g1[0], g2[0], again[0]], [g1[1], g2[1], again[1]]);
    const g = label("group", "cov-group");
    expect(counter("kscope_group_joins_total", g)).toBe(3);
    expect(counter("kscope_group_rebalances_total", g)).toBe(1);
    expect(value(MetricType.Gauge, "kscope_group_generation", g)).toBe(2);
    expect(value(MetricType.Gauge, "kscope_group_members", g)).toBe(1);
  });
});

/** A connection whose client sends `bytes` and nothing more. */
function stream(bytes: u8[]): void {
  const s = new KafkaSession(obs);
  const p = heap.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) store<u8>(p + <usize>i, bytes[i]);
  s.feedRequests(new MemorySource(p, bytes.length));
  s.dispose();
}
function unparsed(reason: string): i64 {
  return counter("kscope_connections_unparsed_total", label("reason", reason));
}

describe("bytes that are not Kafka", () => {
  it("counts each connection it stops parsing, by reason", () => {
    stream([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]); // TLS ClientHello
    stream(utf8("GET /metrics HTTP/1.1\r\nHost: kafka\r\n\r\n"));
    stream(utf8("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    stream([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]); // a frame size no broker accepts
    const unknownApi = new Wire().i16(9999).i16(0).i32(1).str("x").frame();
    const s = new KafkaSession(obs);
    s.feedRequests(unknownApi);
    s.dispose();
    expect(unparsed("tls")).toBe(1);
    expect(unparsed("http")).toBe(2);
    expect(unparsed("frame_size")).toBe(1);
    expect(unparsed("bad_header")).toBe(1);
  });

  it("a frame of a version kscope does not know is counted and the connection goes on", () => {
    const undecoded = label("direction", "request") + label("reason", "unknown_version");
    const before = counter("kscope_frames_undecoded_total", undecoded);
    const future = request(PRODUCE, 99, 1, "cov-future", false).raw([1, 2, 3, 4]); // Produce v99
    const p = produce(2, "cov-future", "cov-after", 0);
    exchange([future, p[0]], [p[1]]);
    expect(counter("kscope_frames_undecoded_total", undecoded) - before).toBe(1);
    expect(counter("kscope_client_requests_total", label("client_id", "cov-future") + label("api", "Produce"))).toBe(2);
    // every version outside the codec's range shares one series: a hostile client cannot mint one per int16
    expect(counter("kscope_requests_total", label("api", "Produce") + label("version", "unknown"))).toBe(1);
    expect(counter("kscope_requests_total", label("api", "Produce") + label("version", "99"))).toBe(0);
  });
});

describe("label values", () => {
  it("';' and control characters become '_' and values stop at 96 characters", () => {
    expect(sanitize("orders;api=.=x\n\x7f")).toBe("orders_api=.=x__");
    expect(sanitize("a".repeat(100)).length).toBe(96);
    expect(sanitize("plain-value")).toBe("plain-value");
    const p = produce(9, "evil;client\t", "cov-sanitised", 0);
    exchange([p[0]], [p[1]]);
    expect(counter("kscope_client_requests_total", ";client_id=.=evil_client_;.;" + label("api", "Produce"))).toBe(1);
  });
});

describe("topic ids", () => {
  it("an unknown id reads as Kafka prints it (base64url, no padding); a learnt one by its name", () => {
    // Node: Buffer.from("0123456789abcdeffedcba9876543210", "hex").toString("base64url")
    expect(uuidString(0x0123456789abcdef, 0xfedcba9876543210)).toBe("ASNFZ4mrze_-3LqYdlQyEA");
    // Buffer.from("fbffbfefbeffffff0000000000000001", "hex").toString("base64url"): both URL-safe characters
    expect(uuidString(0xfbffbfefbeffffff, 1)).toBe("-_-_777___8AAAAAAAAAAQ");
    expect(topicName(0x0123456789abcdef, 0xfedcba9876543210)).toBe("ASNFZ4mrze_-3LqYdlQyEA");
    expect(topicIdKnown(0x0123456789abcdef, 0xfedcba9876543210)).toBe(false);
    learnTopicId(0x0123456789abcdef, 0xfedcba9876543210, "payments");
    expect(topicName(0x0123456789abcdef, 0xfedcba9876543210)).toBe("payments");
    expect(topicIdKnown(0x0123456789abcdef, 0xfedcba9876543210)).toBe(true);
  });
});
