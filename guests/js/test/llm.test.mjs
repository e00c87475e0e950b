// The `llm` builders against a stand-in for the WIT imports (../testing/raw.mjs): the records
// they hand the host, as the Rust SDK's unit tests check its own.
import assert from "node:assert/strict";
import { register } from "node:module";
import { test } from "node:test";

register("../testing/hooks.mjs", import.meta.url);
const llm = await import("../src/llm.js");
const raw = await import("../testing/raw.mjs");

/** The record the last call handed the host. */
const last = () => raw.sent[raw.sent.length - 1];

test("headers, the limit's field and images travel in the record", () => {
  llm
    .chat("what is it?")
    .image("https://example.com/a.png")
    .image("data:image/png;base64,iVBORw==")
    .header("x-session-id", "s-1")
    .header("X-Other", 2)
    .maxTokens(9)
    .maxCompletionTokens(32)
    .send();
  const [fn, req] = last();
  assert.equal(fn, "llm.call");
  assert.deepEqual(req.headers, [["x-session-id", "s-1"], ["X-Other", "2"]]);
  assert.equal(req.maxTokens, 32);
  assert.equal(req.maxTokensField, "max-completion-tokens", "the last one wins");
  assert.deepEqual(req.messages[0].images, ["https://example.com/a.png", "data:image/png;base64,iVBORw=="]);
  const plain = llm.chat("x").maxCompletionTokens(4).maxTokens(5).toRaw();
  assert.equal(plain.maxTokensField, "max-tokens");
  assert.deepEqual([plain.headers, plain.messages[0].images], [[], []], "none by default");
});

test("an image goes on the last turn, or starts a user turn", () => {
  const multi = llm.chat("first").message("assistant", "a").message("user", "second").image("u").toRaw();
  assert.deepEqual(multi.messages.map((m) => m.images.length), [0, 0, 1]);
  const synthetic = llm.chatSynthetic(64, 1).system("s").image("u").toRaw();
  assert.deepEqual(
    synthetic.messages.map((m) => [m.role, m.content, m.images.length]),
    [["system", "s", 0], ["user", "", 1]],
  );
});

test("embeddings: inline texts, host-made batches, and errors as LlmError", () => {
  raw.paramValues.set("model", "e5");
  const out = llm.embed(["a", "b"]).extra({ dimensions: 8 }).header("x-session-id", "s").tag("api", "embeddings").timeout("1.5s").send();
  assert.deepEqual(out, { status: 200, e2eMs: 1, inputTokens: 3, vectors: 2, dimensions: 8 });
  const [fn, req] = last();
  assert.equal(fn, "llm.embed");
  assert.deepEqual(req, {
    model: "e5",
    inputs: ["a", "b"],
    promptSource: { tag: "inline" },
    batch: 1,
    extraBody: '{"dimensions":8}',
    headers: [["x-session-id", "s"]],
    timeoutMs: 1500,
    tags: [["api", "embeddings"]],
  });
  raw.paramValues.delete("model");
  assert.deepEqual(llm.embed("one").toRaw().inputs, ["one"], "one string is a list of one");
  const rows = llm.embedFromDataset("docs", 10).batch(32).toRaw();
  assert.deepEqual([rows.promptSource, rows.batch, rows.inputs, rows.model], [{ tag: "dataset", val: { name: "docs", index: 10 } }, 32, [], null]);
  const synthetic = llm.embedSynthetic(128, 7n).toRaw();
  assert.deepEqual(synthetic.promptSource, { tag: "synthetic", val: { tokens: 128, seed: 7 } });
  assert.throws(() => llm.embed([]).send(), (e) => e instanceof llm.LlmError && e.cls === "invalid-request" && /at least one/.test(e.message));
});

test("sendAll hands the host every record at once and returns each outcome in order", () => {
  const out = llm.sendAll([llm.completion("a").tag("call", "research"), llm.completion("fail"), llm.completion("c")]);
  const [fn, reqs] = last();
  assert.equal(fn, "llm.callMany");
  assert.deepEqual(reqs.map((r) => [r.prompt, r.tags]), [["a", [["call", "research"]]], ["fail", []], ["c", []]]);
  assert.deepEqual([out[0].text, out[2].text], ["a", "c"]);
  assert.ok(out[1] instanceof llm.LlmError, "a failure is returned, not thrown");
  assert.deepEqual([out[1].cls, out[1].status], ["timeout", undefined]);
  assert.match(out[1].message, /^llm timeout: no answer within 1s$/);
  assert.deepEqual(llm.sendAll([]), [], "nothing to send, nothing back");
});
