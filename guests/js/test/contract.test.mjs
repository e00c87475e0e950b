// The SDK against contract/cases.json, the cases the Rust and Python SDKs are held to as well.
// A case's `valid` holds here unless its `js` field says otherwise (a known difference).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { kindOfDefault } from "../src/scenario.js";
import { iterationSeed, mix, prefixGroup, prefixSeed } from "../src/seed.js";
import {
  HttpError,
  LlmError,
  modelOrParam,
  parseDuration,
  parseFlag,
  parseIntList,
  parseInteger,
  parseList,
  parseNumber,
  withIgnoreEos,
} from "../src/util.js";

const cases = JSON.parse(readFileSync(new URL("../../../contract/cases.json", import.meta.url), "utf8"));

/** Whether this SDK takes the case: its `js` field where it has one, else `valid`. */
const takes = (c) => c.js ?? c.valid;

/** Asserts that `f` throws an error whose message contains `part`. */
function throwsWith(f, part, what) {
  assert.throws(f, (e) => e.message.includes(part) || assert.fail(`${what}: ${e.message} lacks ${part}`), what);
}

test("durations", () => {
  for (const c of cases.durations.valid) assert.equal(parseDuration(c.text), c.ms, JSON.stringify(c.text));
  for (const c of cases.durations.invalid) throwsWith(() => parseDuration(c.text), c.error, JSON.stringify(c.text));
});

// The SDK's reader for each kind, as a scenario reads a `--param` of that kind.
const readers = {
  integer: (name, value) => parseInteger(name, value, { signed: true }),
  number: (name, value) => parseNumber(name, value),
  boolean: (_, value) => {
    const flag = parseFlag(value);
    if (flag === undefined) throw new Error(`not a flag: ${value}`);
    return flag;
  },
  "integer-list": (name, value) => parseIntList(name, value),
};

test("parameter values by kind", () => {
  for (const [kind, list] of Object.entries(cases.values).filter(([k]) => k !== "about")) {
    const read = readers[kind];
    assert.ok(read, `no reader for kind ${kind}`);
    for (const c of list) {
      const name = c.name ?? "p";
      const what = `${kind} ${JSON.stringify(c.value)}`;
      if (takes(c)) {
        const parsed = read(name, c.value);
        if (c.parsed !== undefined) assert.deepEqual(parsed, c.parsed, what);
      } else {
        assert.throws(() => read(name, c.value), (e) => {
          if (kind === "boolean") return true;
          assert.ok(e.message.startsWith(`parameter \`${name}\`: invalid value ${JSON.stringify(c.value)}`), e.message);
          assert.ok(e.message.includes(c.error ?? ""), `${e.message} should contain ${c.error}`);
          return true;
        }, what);
      }
    }
  }
});

test("lists of text", () => {
  for (const c of cases.text_lists.valid) assert.deepEqual(parseList("l", c.value), c.items);
  for (const c of cases.text_lists.invalid) throwsWith(() => parseList("l", c.value), c.error, c.value);
});

test("parameter kinds follow defaults", () => {
  for (const c of cases.kind_of_default.cases) assert.equal(kindOfDefault(c.default), c.kind, JSON.stringify(c.default));
});

test("ignore_eos goes first in the extra body", () => {
  for (const c of cases.ignore_eos.cases) {
    const extra = c.extra ?? undefined;
    const sent = c.ignore ? withIgnoreEos(extra) : extra;
    assert.equal(sent, c.sent ?? undefined, JSON.stringify(c));
  }
});

test("the model falls back to a non-blank parameter", () => {
  for (const c of cases.model.cases) {
    assert.equal(modelOrParam(c.set ?? undefined, () => c.param), c.sent ?? undefined, JSON.stringify(c));
  }
});

test("error classes are the ones the generated types name", () => {
  for (const iface of ["llm", "http"]) {
    const dts = readFileSync(new URL(`../types/interfaces/runner-scenario-${iface}.d.ts`, import.meta.url), "utf8");
    const union = /export type ErrorClass = ([^;]*);/.exec(dts);
    assert.ok(union, `no ErrorClass in the ${iface} types`);
    const names = union[1].split("|").map((n) => n.trim().replace(/^'|'$/g, ""));
    assert.deepEqual(names, cases.error_classes[iface], iface);
  }
});

test("errors read as the other SDKs print them", () => {
  for (const c of cases.error_messages.cases) {
    const e = c.interface === "llm" ? new LlmError(c) : new HttpError(c);
    assert.equal(e.message, c.text);
    assert.equal(e.cls, c.class);
  }
});

test("seeds are the Rust SDK's, bit for bit", () => {
  for (const c of cases.seeds.mix) assert.equal(mix(BigInt(c.seed)), BigInt(c.mixed), c.seed);
  for (const c of cases.seeds.iteration) {
    assert.equal(iterationSeed(BigInt(c.run_seed), c.vu, c.iteration), BigInt(c.seed), JSON.stringify(c));
  }
  for (const c of cases.seeds.prefix) {
    assert.equal(prefixSeed(BigInt(c.run_seed), c.group), BigInt(c.seed), JSON.stringify(c));
  }
  for (const c of cases.seeds.prefix_group) assert.equal(prefixGroup(c.n, c.groups), c.group, JSON.stringify(c));
});
