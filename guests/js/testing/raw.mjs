// A stand-in for `runner-sdk:raw` (the WIT imports, which exist only inside a component), spelled
// as the QuickJS build spells it: the SDK's modules that call the host can then be tested with
// `node --test`. It records what they send; `testing/hooks.mjs` points the import here.

export const ENGINE = "quickjs";
export const none = null;
export const u64 = (n) => Number(n);
export const seed = (b) => Number(BigInt(b) & 0x1fffffffffffffn);

/** What the SDK sent, newest last: `[interface.function, record]`. */
export const sent = [];

/** The `--param` values `params.get` answers with. */
export const paramValues = new Map();

export const params = {
  get: (name) => paramValues.get(name) ?? null,
};

export const llm = {
  call(req) {
    sent.push(["llm.call", req]);
    return { status: 200, text: "" };
  },
  // A request whose `prompt` is "fail" fails, so a test sees both outcomes in one batch.
  callMany(reqs) {
    sent.push(["llm.callMany", reqs]);
    return reqs.map((req) =>
      req.prompt === "fail"
        ? { tag: "err", val: { class: "timeout", status: null, message: "no answer within 1s" } }
        : { tag: "ok", val: { status: 200, text: req.prompt } },
    );
  },
  embed(req) {
    sent.push(["llm.embed", req]);
    if (req.inputs.length === 0 && req.promptSource.tag === "inline") {
      throw { class: "invalid-request", status: null, message: "an embeddings request needs at least one input text" };
    }
    return { status: 200, e2eMs: 1, inputTokens: 3, vectors: req.inputs.length, dimensions: 8 };
  },
};

/** Synthetic prompts: `tokens` words naming their seed, so tests can see which seed made a text. */
export const data = {
  syntheticPrompt: (tokens, seed) => Array.from({ length: tokens }, (_, i) => `s${seed}w${i}`).join(" "),
  countTokens: (text) => text.split(/\s+/).filter((w) => w !== "").length,
};
