// A map that forgets what is no longer used, for state keyed by values clients choose (client
// ids): a cap alone fills up for good after that many distinct keys in the proxy's life, and then
// new clients are never learnt. Entries live in two generations; when the young one holds `half`
// entries it becomes the old one and the previous old one is dropped. Reading a key of the old
// generation copies it into the young one, so whatever was used within the last `half` new keys
// stays; memory is bounded by 2 x `half` entries.
export class RecentMap<V> {
  private young: Map<string, V> = new Map();
  private old: Map<string, V> = new Map();
  constructor(readonly half: i32) {}

  has(key: string): bool {
    return this.young.has(key) || this.old.has(key);
  }

  /** The value of `key` (which must be present: check has() first, as with Map). */
  get(key: string): V {
    if (this.young.has(key)) return this.young.get(key);
    const v = this.old.get(key);
    this.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    if (!this.young.has(key) && this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  /** Entries held (a key copied from the old generation counts twice until that one is dropped). */
  get size(): i32 {
    return this.young.size + this.old.size;
  }
}
