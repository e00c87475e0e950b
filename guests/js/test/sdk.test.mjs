// Unit tests of the SDK's pure parts (no host imports): `node --test test/` in guests/js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { kindOfDefault } from "../src/scenario.js";
import { iterationSeed, mix } from "../src/seed.js";
import { parseDuration, parseFlag, toMs, toTags, utf8Decode, utf8Encode } from "../src/util.js";

test("seeds are the Rust SDK's, bit for bit", () => {
  // Expected values printed by guests/rust/src/prompt.rs (`mix`, `Context::seed`) compiled natively.
  assert.equal(mix(42n), 13679457532755275413n);
  assert.equal(mix((1n << 64n) - 1n), 16490336266968443936n);
  assert.equal(iterationSeed(1795399608844798951n, 3, 7), 9928495755464840836n);
  assert.notEqual(iterationSeed(1n, 0, 0), iterationSeed(1n, 0, 1));
  assert.notEqual(iterationSeed(1n, 0, 0), iterationSeed(1n, 1, 0));
});

test("parameter kinds follow defaults as in the Rust SDK", () => {
  const kinds = ["64", "-1", "0.5", "10s", "1m30s", "1,2,4", "", "llama", "TRUE", "5 apples"].map(kindOfDefault);
  assert.deepEqual(kinds, [
    "integer", "integer", "number", "duration", "duration", "integer-list", "text", "text", "boolean", "text",
  ]);
});

test("durations in every unit, as the Rust SDK parses them", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration(" 2m "), 120_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1.5s"), 1_500);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("0"), 0);
  assert.throws(() => parseDuration("10"), /missing unit/);
  assert.throws(() => parseDuration("10d"), /unknown unit "d"/);
  assert.throws(() => parseDuration("s"), /expected a number/);
  assert.throws(() => parseDuration("1..2s"), /bad number/);
  assert.throws(() => parseDuration(""), /empty/);
  assert.equal(toMs(250), 250);
  assert.equal(toMs("2s"), 2_000);
  assert.throws(() => toMs(-1), /invalid duration/);
});

test("tags, flags and UTF-8", () => {
  assert.deepEqual(toTags({ kind: "short", n: 3 }), [["kind", "short"], ["n", "3"]]);
  assert.deepEqual(toTags([["a", 1]]), [["a", "1"]]);
  assert.deepEqual(toTags(undefined), []);
  assert.equal(parseFlag("TRUE"), true);
  assert.equal(parseFlag("off"), false);
  assert.equal(parseFlag("maybe"), undefined);
  const text = "héllo → 🌍";
  assert.deepEqual(utf8Encode(text), new TextEncoder().encode(text));
  assert.equal(utf8Decode(new TextEncoder().encode(text)), text);
  assert.equal(utf8Decode(new Uint8Array([0x61, 0xff, 0x62])), "a\ufffdb");
});
