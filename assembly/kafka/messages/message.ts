// What kscope keeps of a decoded request or response: one generic shape filled by role
// (see Role in generated/codec.ts), so no API needs its own decoder. Top-level values land in
// named fields; every topic/partition entry (wherever it sits: a Produce partition, an
// OffsetFetch group's partition, a Fetch forgotten partition) becomes one PartEntry.
// Bodies and their entries are pooled and reused from exchange to exchange (reset() keeps them).
import { BlobStats } from "../batches";
import { Role } from "../generated/codec";
import { intern, learnTopicId, topicName } from "./names";
import { Visitor } from "./walker";

/** Entries a pooled body keeps between uses (a message may list more; they are freed after it). */
const MAX_POOLED: i32 = 1024;

export class PartEntry {
  group: string = "";
  topic: string = "";
  partition: i32 = -1;
  error: i16 = 0;
  /** Fetch offset, committed offset, Produce base offset, ListOffsets offset. */
  offset: i64 = -1;
  highWatermark: i64 = -1;
  lastStable: i64 = -1;
  logStart: i64 = -1;
  /** ListOffsets: the timestamp asked for (-1 latest, -2 earliest) or answered. */
  timestamp: i64 = -1;
  leaderId: i32 = -1;
  /** Metadata: the leader's epoch (-1 before v7): orders answers of brokers with older metadata. */
  leaderEpoch: i32 = -1;
  /** Listed in a Fetch request's forgotten topics (KIP-227). */
  forgotten: bool = false;
  /** The summary of the entry's records blob (null: none); `stats` holds it. */
  records: BlobStats | null = null;
  /** Owned by the entry (the frame's summaries are reused) and kept for its next use. */
  private stats: BlobStats | null = null;

  /** Copies a blob summary into the entry. */
  setRecords(s: BlobStats): void {
    let own = this.stats;
    if (own == null) {
      own = new BlobStats();
      this.stats = own;
    }
    own.copyFrom(s);
    this.records = own;
  }

  clear(): void {
    this.group = "";
    this.topic = "";
    this.partition = -1;
    this.error = 0;
    this.offset = -1;
    this.highWatermark = -1;
    this.lastStable = -1;
    this.logStart = -1;
    this.timestamp = -1;
    this.leaderId = -1;
    this.leaderEpoch = -1;
    this.forgotten = false;
    this.records = null;
  }
}

export class TopicEntry {
  name: string = "";
  idHi: i64 = 0;
  idLo: i64 = 0;
  error: i16 = 0;
  partitions: i32 = 0;
  clear(): void {
    this.name = "";
    this.idHi = 0;
    this.idLo = 0;
    this.error = 0;
    this.partitions = 0;
  }
}

export class Message extends Visitor {
  acks: i32 = -1;
  transactionalId: string = "";
  groupId: string = "";
  memberId: string = "";
  generation: i32 = -1;
  /** Top-level error code (0 when none). */
  error: i16 = 0;
  /** Every non-zero error code in the message, wherever it sits. */
  errors: Array<i16> = [];
  sessionId: i32 = 0;
  sessionEpoch: i32 = -1;
  isolation: i32 = 0;
  replicaId: i32 = -1;
  mechanism: string = "";
  /** SaslAuthenticate: the user name in the first client token (PLAIN, SCRAM); never a secret. */
  principal: string = "";
  protocolType: string = "";
  protocolName: string = "";
  leader: string = "";
  committed: bool = false;
  key: string = "";
  keyType: i32 = 0;
  producerId: i64 = -1;
  brokers: i32 = -1;
  /** JoinGroup response: members listed (only the leader gets them). */
  members: i32 = -1;
  /** LeaveGroup v3+: the members leaving. */
  memberIds: Array<string> = [];
  /** Entries 0 .. nParts-1 are this message's. */
  parts: Array<PartEntry> = [];
  nParts: i32 = 0;
  topics: Array<TopicEntry> = [];
  nTopics: i32 = 0;

  // Where the walk is.
  private group: string = "";
  private topic: TopicEntry | null = null;
  private part: PartEntry | null = null;
  private forgotten: bool = false;
  private inMembers: bool = false;
  private depth: i32 = 0;

  reset(): void {
    this.acks = -1;
    this.transactionalId = "";
    this.groupId = "";
    this.memberId = "";
    this.generation = -1;
    this.error = 0;
    this.errors.length = 0;
    this.sessionId = 0;
    this.sessionEpoch = -1;
    this.isolation = 0;
    this.replicaId = -1;
    this.mechanism = "";
    this.principal = "";
    this.protocolType = "";
    this.protocolName = "";
    this.leader = "";
    this.committed = false;
    this.key = "";
    this.keyType = 0;
    this.producerId = -1;
    this.brokers = -1;
    this.members = -1;
    this.memberIds.length = 0;
    this.nParts = 0;
    this.nTopics = 0;
    this.group = "";
    this.topic = null;
    this.part = null;
    this.forgotten = false;
    this.inMembers = false;
    this.depth = 0;
    // Bodies are pooled: after a message of very many entries, let the entries go
    if (this.parts.length > MAX_POOLED) this.parts = [];
    if (this.topics.length > MAX_POOLED) this.topics = [];
    if (this.errors.length > MAX_POOLED) this.errors = [];
    if (this.memberIds.length > MAX_POOLED) this.memberIds = [];
  }

  part_(i: i32): PartEntry {
    return unchecked(this.parts[i]);
  }

  private newPart(): PartEntry {
    if (this.nParts == this.parts.length) this.parts.push(new PartEntry());
    const p = unchecked(this.parts[this.nParts++]);
    p.clear();
    p.group = this.group;
    const t = this.topic;
    if (t) {
      p.topic = t.name;
      t.partitions++;
    }
    p.forgotten = this.forgotten;
    return p;
  }

  count(role: Role, n: i32): void {
    if (role == Role.Brokers) this.brokers = n;
    else if (role == Role.Members) this.members = n;
  }

  open(role: Role): void {
    this.depth++;
    switch (role) {
      case Role.Topics:
      case Role.Forgotten: {
        if (this.nTopics == this.topics.length) this.topics.push(new TopicEntry());
        const t = unchecked(this.topics[this.nTopics++]);
        t.clear();
        this.topic = t;
        this.forgotten = role == Role.Forgotten;
        break;
      }
      case Role.Partitions:
        this.part = this.newPart();
        break;
      case Role.Groups:
        this.group = "";
        break;
      case Role.Members:
        this.inMembers = true;
        break;
    }
  }

  close(role: Role): void {
    this.depth--;
    switch (role) {
      case Role.Topics:
      case Role.Forgotten: {
        const t = this.topic;
        if (t && (t.idHi | t.idLo) != 0 && t.name.length) learnTopicId(t.idHi, t.idLo, t.name);
        this.topic = null;
        this.forgotten = false;
        break;
      }
      case Role.Partitions:
        this.part = null;
        break;
      case Role.Groups:
        this.group = "";
        break;
      case Role.Members:
        this.inMembers = false;
        break;
    }
  }

  int(role: Role, v: i64): void {
    const p = this.part;
    switch (role) {
      case Role.Partition:
        if (p) p.partition = <i32>v;
        break;
      case Role.PartitionList: {
        const q = this.newPart();
        q.partition = <i32>v;
        break;
      }
      case Role.Error: {
        if (v == 0) break;
        this.errors.push(<i16>v);
        if (p) p.error = <i16>v;
        else if (this.topic) this.topic!.error = <i16>v;
        else if (this.depth == 0) this.error = <i16>v;
        break;
      }
      case Role.Offset:
        if (p && p.offset < 0) p.offset = v;
        break;
      case Role.HighWatermark:
        if (p) p.highWatermark = v;
        break;
      case Role.LastStable:
        if (p) p.lastStable = v;
        break;
      case Role.LogStart:
        if (p) p.logStart = v;
        break;
      case Role.Timestamp:
        if (p) p.timestamp = v;
        break;
      case Role.LeaderId:
        if (p) p.leaderId = <i32>v;
        break;
      case Role.LeaderEpoch:
        if (p) p.leaderEpoch = <i32>v;
        break;
      case Role.Acks:
        this.acks = <i32>v;
        break;
      case Role.Generation:
        this.generation = <i32>v;
        break;
      case Role.SessionId:
        this.sessionId = <i32>v;
        break;
      case Role.SessionEpoch:
        this.sessionEpoch = <i32>v;
        break;
      case Role.Isolation:
        this.isolation = <i32>v;
        break;
      case Role.ReplicaId:
        this.replicaId = <i32>v;
        break;
      case Role.Committed:
        this.committed = v != 0;
        break;
      case Role.KeyType:
        this.keyType = <i32>v;
        break;
      case Role.ProducerId:
        this.producerId = v;
        break;
    }
  }

  str(role: Role, ptr: usize, len: i32): void {
    switch (role) {
      case Role.Topic: {
        const t = this.topic;
        if (t) t.name = intern(ptr, len);
        break;
      }
      case Role.GroupId: {
        const g = intern(ptr, len);
        this.group = g;
        if (this.groupId.length == 0) this.groupId = g;
        break;
      }
      case Role.MemberId: {
        const m = intern(ptr, len);
        if (this.inMembers) this.memberIds.push(m);
        else if (this.memberId.length == 0) this.memberId = m;
        break;
      }
      case Role.TransactionalId:
        if (this.transactionalId.length == 0) this.transactionalId = intern(ptr, len);
        break;
      case Role.Mechanism:
        this.mechanism = intern(ptr, len);
        break;
      case Role.ProtocolType:
        this.protocolType = intern(ptr, len);
        break;
      case Role.ProtocolName:
        if (this.protocolName.length == 0) this.protocolName = intern(ptr, len);
        break;
      case Role.Leader:
        this.leader = intern(ptr, len);
        break;
      case Role.Key:
        if (this.key.length == 0) this.key = intern(ptr, len);
        break;
      case Role.AuthBytes: {
        // SaslAuthenticate does not repeat the handshake's mechanism: name it from the token's form
        this.principal = saslPrincipal(ptr, len);
        if (this.principal.length) this.mechanism = hasNul(ptr, len) ? "PLAIN" : "SCRAM";
        break;
      }
    }
  }

  uuid(role: Role, hi: i64, lo: i64): void {
    const t = this.topic;
    if (t && role == Role.TopicId) {
      // t first: @as-covers wraps the right operand, which would lose the null check
      t.idHi = hi;
      t.idLo = lo;
      if (t.name.length == 0) t.name = topicName(hi, lo);
    }
  }

  records(role: Role, s: BlobStats): void {
    const p = this.part;
    if (p) p.setRecords(s);
  }
}

function hasNul(ptr: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(ptr + <usize>i) == 0) return true;
  return false;
}

/**
 * The user a client authenticates as, from its first SASL token; "" when the token names none.
 * PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd: the authzid, else the authcid; the
 * password is never read. SCRAM client-first-message (RFC 5802): gs2-header "n=" user ",r=" ...
 */
export function saslPrincipal(ptr: usize, len: i32): string {
  if (len <= 0) return "";
  let nul = -1;
  for (let i = 0; i < len; i++)
    if (load<u8>(ptr + <usize>i) == 0) {
      nul = i;
      break;
    }
  if (nul >= 0) {
    if (nul > 0) return intern(ptr, nul);
    let end = nul + 1;
    while (end < len && load<u8>(ptr + <usize>end) != 0) end++;
    if (end >= len) return ""; // no second NUL: not PLAIN
    return intern(ptr + <usize>(nul + 1), end - nul - 1);
  }
  // SCRAM: gs2-cbind-flag ("n" | "y" | "p=...") "," [ "a=" authzid ] "," "n=" user "," ...
  const f = load<u8>(ptr);
  if (f != 0x6e && f != 0x79 && f != 0x70) return "";
  let commas = 0,
    i = 0;
  while (i < len && commas < 2) {
    if (load<u8>(ptr + <usize>i) == 0x2c) commas++;
    i++;
  }
  if (commas < 2 || i + 2 > len || load<u8>(ptr + <usize>i) != 0x6e || load<u8>(ptr + <usize>(i + 1)) != 0x3d) return "";
  const start = i + 2;
  let end = start;
  while (end < len && load<u8>(ptr + <usize>end) != 0x2c) end++;
  const user = intern(ptr + <usize>start, end - start);
  // saslname escapes ',' as =2C and '=' as =3D
  return user.includes("=") ? user.replaceAll("=2C", ",").replaceAll("=3D", "=") : user;
}
