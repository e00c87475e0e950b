// The workload builders (multi-turn sessions, recorded schedules, burstiness, length
// distributions) against the stand-in for the WIT imports, and the length cases of
// contract/cases.json that the Rust and Python SDKs are held to as well.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { test } from "node:test";

register("../testing/hooks.mjs", import.meta.url);
const llm = await import("../src/llm.js");
const { phase } = await import("../src/load.js");
const { Lengths } = await import("../src/lengths.js");
const raw = await import("../testing/raw.mjs");

const cases = JSON.parse(readFileSync(new URL("../../../contract/cases.json", import.meta.url), "utf8"));

test("lengths draw the contract's values for the contract's seeds", () => {
  for (const c of cases.lengths.draws) {
    const l = Lengths.parse(c.spec);
    c.seeds.forEach((s, i) => assert.equal(l.draw(BigInt(s)), c.lengths[i], `${c.spec} seed ${s}`));
  }
  for (const c of cases.lengths.rows) assert.equal(Lengths.row(BigInt(c.seed), c.rows), c.row, c.seed);
  for (const bad of cases.lengths.invalid) assert.throws(() => Lengths.parse(bad), bad);
});

test("a session's turn carries the history, the session header and its number", () => {
  const s = new llm.Session("c1").system("sys");
  s.record("q1", "a1");
  s.send(s.ask("q2"));
  const [fn, req] = raw.sent[raw.sent.length - 1];
  assert.equal(fn, "llm.call");
  assert.deepEqual(
    req.messages.map((m) => [m.role, m.content]),
    [["system", "sys"], ["user", "q1"], ["assistant", "a1"], ["user", "q2"]],
  );
  assert.deepEqual(req.headers, [["x-session-id", "c1"]]);
  assert.deepEqual(req.tags, [["turn", "1"]]);
  assert.equal(s.turns, 1);
  assert.equal(s.history.length, 4, "the answered turn joined the history");
});

test("a recorded schedule and gamma arrivals become the WIT records", () => {
  const sched = phase.scheduled("t", [0, 100, 250], 2).maxVus(3).toRaw();
  assert.deepEqual(sched.executor, { tag: "scheduled", val: { offsetsMs: [0, 50, 125], maxVus: 3 } });
  const gamma = phase.rate("g", 10, "1s").burstiness(0.5).toRaw();
  assert.deepEqual(gamma.executor.val.arrival, { tag: "gamma", val: 0.5 });
  assert.deepEqual(phase.rate("p", 10, "1s").poisson().toRaw().executor.val.arrival, { tag: "poisson" });
});
