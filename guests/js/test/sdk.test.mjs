// Unit tests of the SDK's pure parts (no host imports): `node --test test/` in guests/js. The
// rules shared with the other SDKs are checked against contract/cases.json in contract.test.mjs.
import assert from "node:assert/strict";
import { test } from "node:test";

import { iterationSeed } from "../src/seed.js";
import { toMs, toTags, utf8Decode, utf8Encode } from "../src/util.js";

test("iteration seeds differ per VU and iteration", () => {
  assert.notEqual(iterationSeed(1n, 0, 0), iterationSeed(1n, 0, 1));
  assert.notEqual(iterationSeed(1n, 0, 0), iterationSeed(1n, 1, 0));
});

test("durations as milliseconds or text", () => {
  assert.equal(toMs(250), 250);
  assert.equal(toMs("2s"), 2_000);
  assert.throws(() => toMs(-1), /invalid duration/);
});

test("tags and UTF-8", () => {
  assert.deepEqual(toTags({ kind: "short", n: 3 }), [["kind", "short"], ["n", "3"]]);
  assert.deepEqual(toTags([["a", 1]]), [["a", "1"]]);
  assert.deepEqual(toTags(undefined), []);
  const text = "héllo → 🌍";
  assert.deepEqual(utf8Encode(text), new TextEncoder().encode(text));
  assert.equal(utf8Decode(new TextEncoder().encode(text)), text);
  assert.equal(utf8Decode(new Uint8Array([0x61, 0xff, 0x62])), "a\ufffdb");
});
