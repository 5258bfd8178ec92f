// A small strict JSON parser (RFC 8259) for the plugin configuration: a value tree with the
// offset of every value, so errors can say where. It never traps on any input: the first error
// sticks (franz-go's reader style) and parsing stops there. Duplicate object keys, unpaired
// surrogates, numbers out of f64 range, nesting beyond MAX_DEPTH and texts beyond MAX_LENGTH
// are errors too, where RFC 8259 leaves them to the implementation.

export const MAX_DEPTH = 32;
export const MAX_LENGTH = 1 << 20; // characters

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

export class JsonValue {
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  /** Array items, or object member values (in the order written). */
  items: JsonValue[] = [];
  /** Object member names, parallel to `items`. */
  keys: string[] = [];
  /** Where each object member name starts, parallel to `keys`. */
  keyOffsets: i32[] = [];
  constructor(
    readonly kind: JsonKind,
    readonly offset: i32,
  ) {}

  /** The member `key` of an object; null when absent (or not an object). */
  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }

  /** A number without a fraction, within the i32 range. */
  isInt(): bool {
    return this.kind == JsonKind.Number && this.num == Math.floor(this.num) && Math.abs(this.num) <= <f64>i32.MAX_VALUE;
  }
}

/** What a JSON kind is called in error messages. */
export function kindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null:
      return "null";
    case JsonKind.Bool:
      return "a boolean";
    case JsonKind.Number:
      return "a number";
    case JsonKind.String:
      return "a string";
    case JsonKind.Array:
      return "an array";
    default:
      return "an object";
  }
}

/** "line L, column C" (both from 1) of a character offset in `text`. */
export function position(text: string, offset: i32): string {
  let line = 1,
    col = 1;
  const end = min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) == 0x0a) {
      line++;
      col = 1;
    } else col++;
  }
  return "line " + line.toString() + ", column " + col.toString();
}

export class JsonResult {
  constructor(
    readonly value: JsonValue | null,
    readonly error: string,
    readonly offset: i32,
  ) {}
}

/** Parses one JSON value (with surrounding whitespace) that must fill the whole text. */
export function parseJson(text: string): JsonResult {
  if (text.length > MAX_LENGTH) {
    return new JsonResult(null, "text longer than " + MAX_LENGTH.toString() + " characters", MAX_LENGTH);
  }
  const p = new Parser(text);
  p.space();
  const v = p.value(0);
  p.space();
  if (p.error.length == 0 && p.pos < text.length) p.fail("unexpected " + p.describe() + " after the value");
  return p.error.length ? new JsonResult(null, p.error, p.errorAt) : new JsonResult(v, "", 0);
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function hexDigit(c: i32): i32 {
  if (isDigit(c)) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

class Parser {
  pos: i32 = 0;
  error: string = "";
  errorAt: i32 = 0;
  constructor(readonly text: string) {}

  fail(msg: string, at: i32 = this.pos): void {
    if (this.error.length) return;
    this.error = msg;
    this.errorAt = at;
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  /** The character at pos, quoted, for messages ("end of text" past the end). */
  describe(): string {
    const c = this.peek();
    if (c < 0) return "end of text";
    if (c < 0x20 || c == 0x7f) return "control character U+" + c.toString(16).padStart(4, "0");
    return "'" + String.fromCharCode(c) + "'";
  }

  space(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  value(depth: i32): JsonValue | null {
    if (this.error.length) return null;
    const c = this.peek();
    if (c == 0x7b || c == 0x5b) {
      if (depth >= MAX_DEPTH) {
        this.fail("nesting deeper than " + MAX_DEPTH.toString() + " levels");
        return null;
      }
      return c == 0x7b ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c == 0x22) {
      const at = this.pos;
      const s = this.string();
      if (s == null) return null;
      const v = new JsonValue(JsonKind.String, at);
      v.str = s;
      return v;
    }
    if (c == 0x2d || isDigit(c)) return this.number();
    if (this.word("true")) {
      const v = new JsonValue(JsonKind.Bool, this.pos - 4);
      v.bool = true;
      return v;
    }
    if (this.word("false")) return new JsonValue(JsonKind.Bool, this.pos - 5);
    if (this.word("null")) return new JsonValue(JsonKind.Null, this.pos - 4);
    this.fail("expected a value, found " + this.describe());
    return null;
  }

  word(w: string): bool {
    if (this.text.length - this.pos < w.length || this.text.substr(this.pos, w.length) != w) return false;
    this.pos += w.length;
    return true;
  }

  object(depth: i32): JsonValue | null {
    const v = new JsonValue(JsonKind.Object, this.pos);
    this.pos++; // {
    this.space();
    if (this.peek() == 0x7d) {
      this.pos++;
      return v;
    }
    const seen = new Set<string>();
    while (true) {
      if (this.peek() != 0x22) {
        this.fail("expected a member name in double quotes, found " + this.describe());
        return null;
      }
      const keyAt = this.pos;
      const key = this.string();
      if (key == null) return null;
      if (seen.has(key)) {
        this.fail('duplicate key "' + key + '"', keyAt);
        return null;
      }
      seen.add(key);
      this.space();
      if (this.peek() != 0x3a) {
        this.fail("expected ':' after the member name, found " + this.describe());
        return null;
      }
      this.pos++;
      this.space();
      const item = this.value(depth);
      if (item == null) return null;
      v.keys.push(key);
      v.keyOffsets.push(keyAt);
      v.items.push(item);
      this.space();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}' in an object, found " + this.describe());
        return null;
      }
      this.space();
    }
  }

  array(depth: i32): JsonValue | null {
    const v = new JsonValue(JsonKind.Array, this.pos);
    this.pos++; // [
    this.space();
    if (this.peek() == 0x5d) {
      this.pos++;
      return v;
    }
    while (true) {
      const item = this.value(depth);
      if (item == null) return null;
      v.items.push(item);
      this.space();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']' in an array, found " + this.describe());
        return null;
      }
      this.space();
    }
  }

  /** A string starting at the opening quote; null after an error. */
  string(): string | null {
    const text = this.text;
    this.pos++; // "
    let out = "";
    let run = this.pos; // start of the current run of plain characters
    while (true) {
      if (this.pos >= text.length) {
        this.fail("unterminated string");
        return null;
      }
      const c = text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += text.substring(run, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail("unescaped " + this.describe() + " in a string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += text.substring(run, this.pos);
      const at = this.pos;
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) out += '"';
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) {
          this.fail("invalid \\u escape", at);
          return null;
        }
        if (u >= 0xd800 && u <= 0xdbff) {
          // A high surrogate must be followed by an escaped low one.
          let lo = -1;
          if (this.word("\\u")) lo = this.hex4();
          if (lo < 0xdc00 || lo > 0xdfff) {
            this.fail("unpaired surrogate in a \\u escape", at);
            return null;
          }
          out += String.fromCharCode(u, lo);
        } else if (u >= 0xdc00 && u <= 0xdfff) {
          this.fail("unpaired surrogate in a \\u escape", at);
          return null;
        } else out += String.fromCharCode(u);
      } else {
        this.fail("invalid escape in a string", at);
        return null;
      }
      run = this.pos;
    }
  }

  /** Four hex digits as a code unit; -1 if they are not there. */
  hex4(): i32 {
    if (this.text.length - this.pos < 4) return -1;
    let u = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexDigit(this.text.charCodeAt(this.pos + i));
      if (d < 0) return -1;
      u = (u << 4) | d;
    }
    this.pos += 4;
    return u;
  }

  digits(): i32 {
    const start = this.pos;
    while (isDigit(this.peek())) this.pos++;
    return this.pos - start;
  }

  number(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    const first = this.peek();
    const intDigits = this.digits();
    if (intDigits == 0) {
      this.fail("expected a digit, found " + this.describe());
      return null;
    }
    if (first == 0x30 && intDigits > 1) {
      this.fail("leading zero in a number", start);
      return null;
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) {
        this.fail("expected a digit after '.', found " + this.describe());
        return null;
      }
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const s = this.peek();
      if (s == 0x2b || s == 0x2d) this.pos++;
      if (this.digits() == 0) {
        this.fail("expected a digit in the exponent, found " + this.describe());
        return null;
      }
    }
    const n = F64.parseFloat(this.text.substring(start, this.pos));
    if (!isFinite(n)) {
      this.fail("number out of range", start);
      return null;
    }
    const v = new JsonValue(JsonKind.Number, start);
    v.num = n;
    return v;
  }
}
