// The strict JSON parser behind the plugin configuration (assembly/json/parse.ts).
import { JsonKind, JsonValue, MAX_DEPTH, parseJson, position } from "../../assembly/json/parse";

function ok(text: string): JsonValue {
  const r = parseJson(text);
  expect(r.error).toBe("", text);
  return r.value!;
}

function bad(text: string): string {
  const r = parseJson(text);
  expect(r.value).toBeNull(text);
  expect(r.error.length).toBeGreaterThan(0, text);
  return r.error + " @" + r.offset.toString();
}

describe("JSON parser", () => {
  it("reads nested objects and arrays in order", () => {
    const v = ok(' {"a": [1, {"b": [true, false, null]}, "x"], "c": {}} ');
    expect(v.kind).toBe(JsonKind.Object);
    expect(v.keys.join(",")).toBe("a,c");
    const a = v.get("a")!;
    expect(a.kind).toBe(JsonKind.Array);
    expect(a.items.length).toBe(3);
    expect(a.items[0].num).toBe(1);
    const b = a.items[1].get("b")!;
    expect(b.items[0].bool).toBe(true);
    expect(b.items[1].bool).toBe(false);
    expect(b.items[2].kind).toBe(JsonKind.Null);
    expect(a.items[2].str).toBe("x");
    expect(v.get("c")!.keys.length).toBe(0);
    expect(v.get("nope")).toBeNull();
    expect(ok("[]").items.length).toBe(0);
  });

  it("decodes every escape, \\u escapes and surrogate pairs", () => {
    expect(ok('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"').str).toBe('a"b\\c/d\b\f\n\r\t');
    expect(ok('"\\u00e9\\u4E2D"').str).toBe("é中");
    expect(ok('"\\ud83d\\ude00"').str).toBe("😀");
    expect(ok('"😀 raw"').str).toBe("😀 raw");
    expect(ok('"\\u0000"').str.charCodeAt(0)).toBe(0);
  });

  it("keeps a key with an escaped quote whole", () => {
    const v = ok('{"k\\"ey": "v\\"al", "n": {"workload": "inner"}}');
    expect(v.keys[0]).toBe('k"ey');
    expect(v.items[0].str).toBe('v"al');
    expect(v.get("workload")).toBeNull(); // nested keys stay nested
  });

  it("reads numbers by the JSON grammar", () => {
    expect(ok("0").num).toBe(0);
    expect(ok("-12").num).toBe(-12);
    expect(ok("3.25").num).toBe(3.25);
    expect(ok("1e3").num).toBe(1000);
    expect(ok("-2.5E-1").num).toBe(-0.25);
    expect(ok("200").isInt()).toBe(true);
    expect(ok("2.5").isInt()).toBe(false);
    expect(ok("1e12").isInt()).toBe(false);
  });

  it("rejects what is not JSON, saying what and where", () => {
    expect(bad("")).toBe("expected a value, found end of text @0");
    expect(bad("{")).toBe("expected a member name in double quotes, found end of text @1");
    expect(bad('{"a":1,}')).toBe("expected a member name in double quotes, found '}' @7");
    expect(bad('{"a" 1}')).toBe("expected ':' after the member name, found '1' @5");
    expect(bad('{"a":1 "b":2}')).toBe("expected ',' or '}' in an object, found '\"' @7");
    expect(bad("[1,]")).toBe("expected a value, found ']' @3");
    expect(bad("[1 2]")).toBe("expected ',' or ']' in an array, found '2' @3");
    expect(bad("{a:1}")).toBe("expected a member name in double quotes, found 'a' @1");
    expect(bad("'x'")).toBe("expected a value, found ''' @0");
    expect(bad("{} {}")).toBe("unexpected '{' after the value @3");
    expect(bad("tru")).toBe("expected a value, found 't' @0");
    expect(bad("nulls")).toBe("unexpected 's' after the value @4");
  });

  it("rejects bad strings", () => {
    expect(bad('"abc')).toBe("unterminated string @4");
    expect(bad('"a\nb"')).toBe("unescaped control character U+000a in a string @2");
    expect(bad('"\\x"')).toBe("invalid escape in a string @1");
    expect(bad('"\\u12G4"')).toBe("invalid \\u escape @1");
    expect(bad('"\\u12"')).toBe("invalid \\u escape @1");
    expect(bad('"\\ud83d"')).toBe("unpaired surrogate in a \\u escape @1");
    expect(bad('"\\ud83d\\u0041"')).toBe("unpaired surrogate in a \\u escape @1");
    expect(bad('"\\ude00"')).toBe("unpaired surrogate in a \\u escape @1");
    expect(bad('"\\')).toBe("invalid escape in a string @1");
  });

  it("rejects bad numbers", () => {
    expect(bad("01")).toBe("leading zero in a number @0");
    expect(bad("-")).toBe("expected a digit, found end of text @1");
    expect(bad("1.")).toBe("expected a digit after '.', found end of text @2");
    expect(bad(".5")).toBe("expected a value, found '.' @0");
    expect(bad("1e")).toBe("expected a digit in the exponent, found end of text @2");
    expect(bad("+1")).toBe("expected a value, found '+' @0");
    expect(bad("1e400")).toBe("number out of range @0");
    expect(bad("NaN")).toBe("expected a value, found 'N' @0");
  });

  it("rejects duplicate keys at the second one", () => {
    expect(bad('{"a":1,"b":2,"a":3}')).toBe('duplicate key "a" @13');
    expect(ok('{"a":{"a":1}}').get("a")!.get("a")!.num).toBe(1); // same name, other object
  });

  it("bounds nesting depth and size", () => {
    const deep = "[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH);
    expect(ok(deep).kind).toBe(JsonKind.Array);
    const deeper = "[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1);
    expect(bad(deeper)).toBe("nesting deeper than 32 levels @32");
    expect(bad("[".repeat(100000))).toBe("nesting deeper than 32 levels @32");
    expect(bad(" ".repeat((1 << 20) + 1))).toBe("text longer than 1048576 characters @1048576");
  });

  it("gives line and column", () => {
    expect(position('{\n  "a": x\n}', 9)).toBe("line 2, column 8");
    expect(position("{}", 0)).toBe("line 1, column 1");
  });

  it("never traps on any prefix or random text", () => {
    const doc = '{"a": [1, -2.5e3, "x\\u00e9\\ud83d\\ude00\\n", {"b": [true, false, null]}], "c": {}}';
    expect(ok(doc).keys.length).toBe(2);
    for (let i = 0; i < doc.length; i++) {
      expect(parseJson(doc.substring(0, i)).value).toBeNull(); // every strict prefix is incomplete
    }
    const alphabet = '{}[]:,"\\u0123456789abcdefeEtrulsn.-+ \n\t\u0001😀';
    let seed: u32 = 12345;
    for (let n = 0; n < 5000; n++) {
      let s = "";
      const len = <i32>(seed % 24);
      for (let i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        s += alphabet.charAt(<i32>((seed >>> 16) % <u32>alphabet.length));
      }
      const r = parseJson(s);
      expect(r.value == null).toBe(r.error.length > 0, s);
    }
  });
});
