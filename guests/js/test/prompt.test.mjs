// The shared-prefix prompts against a stand-in for the WIT imports (../testing/raw.mjs), whose
// synthetic words name the seed that made them.
import assert from "node:assert/strict";
import { register } from "node:module";
import { test } from "node:test";

register("../testing/hooks.mjs", import.meta.url);
const prompt = await import("../src/prompt.js");
const raw = await import("../testing/raw.mjs");

test("a group's prompts share its prefix and differ after it", () => {
  const a = prompt.sharedPrefix(2, 3, 2, 7n, 100n);
  const b = prompt.sharedPrefix(2, 3, 2, 7n, 101n);
  const prefix = prompt.groupPrefix(2, 3, 7n);
  assert.equal(prefix.split(" ").length, 3);
  assert.ok(a.startsWith(`${prefix} `) && b.startsWith(`${prefix} `), `${a} | ${b}`);
  assert.notEqual(a, b);
  assert.equal(a.split(" ").length, 5);
  const seed = raw.seed(prompt.prefixSeed(7n, 2));
  assert.ok(prefix.startsWith(`s${seed}w0`), "the prefix is seeded by prefixSeed");
  assert.notEqual(prompt.groupPrefix(3, 3, 7n), prefix, "another group, another prefix");
  assert.equal(prompt.sharedPrefix(2, 3, 0, 7n, 100n), prefix, "no suffix: the prefix alone");
  assert.equal(prompt.sharedPrefix(2, 0, 2, 7n, 100n), raw.data.syntheticPrompt(2, raw.seed(100n)));
});
