// Unit tests of the SDK's pure parts (no host imports): `node --test test/` in guests/js.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { iterationSeed, mix, synthetic, WORDS } from "../src/prompt.js";
import { parseDuration, parseFlag, toMs, toTags, utf8Decode, utf8Encode } from "../src/util.js";

test("prompts are the Rust SDK's, bit for bit", () => {
  // Expected values printed by guests/rust/src/prompt.rs compiled natively.
  assert.equal(mix(42n), 13679457532755275413n);
  assert.equal(mix((1n << 64n) - 1n), 16490336266968443936n);
  assert.equal(synthetic(8, 7n), "eye through set than start mean round sun");
  assert.equal(iterationSeed(1795399608844798951n, 3, 7), 9928495755464840836n);
  // The word list is the Rust SDK's, read from its source.
  const rust = readFileSync(new URL("../../rust/src/prompt.rs", import.meta.url), "utf8");
  const list = /const WORDS: &\[&str\] = &\[([^\]]*)\]/.exec(rust)[1];
  assert.deepEqual(WORDS, [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]));
});

test("prompts have the requested word count and depend on the seed", () => {
  for (const n of [0, 1, 32, 256]) assert.equal(synthetic(n, 42n).split(" ").filter(Boolean).length, n);
  assert.notEqual(synthetic(64, 7n), synthetic(64, 8n));
  assert.ok(synthetic(256, 7n).startsWith(synthetic(64, 7n)));
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
