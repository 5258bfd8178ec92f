// Strings that recur on the wire (topics, groups, client ids, member ids) decoded once and
// shared, and the topic id -> name map learnt from Metadata responses. Module-level: shared by
// every connection of the VM. Both are bounded so a hostile client cannot grow them forever.
// Topic ids learnt are also shared with the other workers (metrics/shared.ts).
import { TOPIC_ID, shareName, sharedName } from "../../metrics/shared";

const MAX_INTERNED: i32 = 8192;
/** Longer strings are decoded each time, never cached: the cache holds at most 8192 x 256 bytes. */
const MAX_INTERNED_LEN: i32 = 256;
const MAX_TOPIC_IDS: i32 = 65536;
/** Ids cached without a name (a hostile client can send any): their printed form is kept for at most this many. */
const MAX_UNKNOWN_IDS: i32 = 1024;
let unknownIds: i32 = 0;

class Interned {
  constructor(
    readonly hash: u32,
    readonly bytes: usize,
    readonly len: i32,
    readonly str: string,
  ) {}
}

const interned = new Map<u32, Interned>();
/** The string found last: one topic's name recurs through a message (a hash lookup saved). */
let lastInterned: Interned | null = null;

function hashBytes(ptr: usize, len: i32): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < len; i++) h = (h ^ load<u8>(ptr + <usize>i)) * 16777619;
  return h ^ (<u32>len);
}

/** The string for UTF-8 bytes at ptr; the same string object each time for the same bytes. */
export function intern(ptr: usize, len: i32): string {
  if (len <= 0) return "";
  const h = hashBytes(ptr, len);
  const last = lastInterned;
  if (last != null && last.hash == h && last.len == len && memory.compare(last.bytes, ptr, len) == 0) return last.str;
  if (interned.has(h)) {
    const e = interned.get(h);
    if (e.len == len && memory.compare(e.bytes, ptr, len) == 0) {
      lastInterned = e;
      return e.str;
    }
    return String.UTF8.decodeUnsafe(ptr, len); // hash collision: rare, left uncached
  }
  const s = String.UTF8.decodeUnsafe(ptr, len);
  if (interned.size < MAX_INTERNED && len <= MAX_INTERNED_LEN) {
    const copy = heap.alloc(len);
    memory.copy(copy, ptr, len);
    interned.set(h, new Interned(h, copy, len, s));
  }
  return s;
}

class TopicName {
  constructor(
    readonly hi: i64,
    readonly lo: i64,
    public name: string,
    public known: bool,
  ) {}
}

const topicIds = new Map<i64, TopicName>();

@inline function idKey(hi: i64, lo: i64): i64 {
  return hi ^ (lo * 0x9e3779b97f4a7c15);
}

/** Records a topic id -> name pair (from a Metadata response). */
export function learnTopicId(hi: i64, lo: i64, name: string): void {
  if ((hi | lo) == 0 || name.length == 0) return;
  const k = idKey(hi, lo);
  if (topicIds.has(k)) {
    const e = topicIds.get(k);
    if (e.hi == hi && e.lo == lo) {
      if (!e.known || e.name != name) shareName(TOPIC_ID, uuidString(hi, lo), name);
      e.name = name;
      e.known = true;
      return;
    }
  }
  if (topicIds.size < MAX_TOPIC_IDS) {
    topicIds.set(k, new TopicName(hi, lo, name, true));
    shareName(TOPIC_ID, uuidString(hi, lo), name);
  }
}

/** The topic's name, or (unknown id) its id as Kafka prints it (base64url, 22 characters). */
export function topicName(hi: i64, lo: i64): string {
  const k = idKey(hi, lo);
  let cached: TopicName | null = null;
  if (topicIds.has(k)) {
    const e = topicIds.get(k);
    if (e.hi == hi && e.lo == lo) {
      if (e.known) return e.name;
      cached = e;
    }
  }
  const s = cached != null ? cached.name : uuidString(hi, lo);
  // another worker may have seen the Metadata answer that names it
  const shared = sharedName(TOPIC_ID, s);
  if (shared != null && shared.length > 0) {
    if (cached != null) {
      cached.name = shared;
      cached.known = true;
    } else if (topicIds.size < MAX_TOPIC_IDS) topicIds.set(k, new TopicName(hi, lo, shared, true));
    return shared;
  }
  if (cached != null) return s;
  // ids no Metadata answer named come from the wire unchecked: only a few are cached
  if (unknownIds < MAX_UNKNOWN_IDS && topicIds.size < MAX_TOPIC_IDS) {
    topicIds.set(k, new TopicName(hi, lo, s, false));
    unknownIds++;
  }
  return s;
}

/** Whether the id's name has been learnt. */
export function topicIdKnown(hi: i64, lo: i64): bool {
  const k = idKey(hi, lo);
  return topicIds.has(k) && topicIds.get(k).known;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Kafka's Uuid.toString(): URL-safe base64 of the 16 bytes, no padding. */
export function uuidString(hi: i64, lo: i64): string {
  let out = "";
  let acc: u32 = 0,
    bits = 0;
  for (let i = 0; i < 16; i++) {
    const b = <u32>((i < 8 ? hi >>> (<i64>(56 - 8 * i)) : lo >>> (<i64>(56 - 8 * (i - 8)))) & 0xff);
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64.charAt(<i32>((acc >>> bits) & 63));
    }
  }
  if (bits > 0) out += B64.charAt(<i32>((acc << (6 - bits)) & 63));
  return out;
}
