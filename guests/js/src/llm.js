// OpenAI-compatible calls: completions (`chat`, `completion`; several at once with `sendAll`) and
// embeddings (`embed`). The host sends the request, parses the stream and records TTFT, TTFO,
// ITL, TPOT, E2E and token counts; this module only builds what to send (the Rust SDK's `llm`). The completion `send()` returns is
// the WIT record as it is (see `Completion` in index.d.ts): besides the timings, `ttfoMs` (first
// output, reasoning excluded), `reasoningChunks`, `reasoningTokens`, `cachedTokens` and
// `toolCalls` (`{ id, name, arguments }`).

import * as raw from "runner-sdk:raw";
import * as metrics from "./metrics.js";
import * as params from "./params.js";
import { LlmError, modelOrParam, payloadOf, toMs, toTags, withIgnoreEos } from "./util.js";

export { LlmError };
export { SESSION_HEADER, Session } from "./session.js";

/** A completion request being built; send it with `.send()`. */
export class Request {
  constructor(api) {
    this.api = api;
    this._model = undefined;
    this._system = undefined;
    this.messages = [];
    this.prompt = "";
    this.promptSource = { tag: "inline" };
    this._maxTokens = undefined;
    this._maxTokensField = "max-tokens";
    this._stream = true;
    this._extra = undefined;
    this._ignoreEos = false;
    this._headers = [];
    this._timeoutMs = undefined;
    this.tags = [];
  }

  /** The model name; by default the `model` parameter, or none when that is empty. */
  model(name) {
    this._model = String(name);
    return this;
  }

  /** Takes the prompt from row `index` of dataset `name`, on the host (see `chatFromDataset`). */
  datasetRow(name, index) {
    this.promptSource = { tag: "dataset", val: { name: String(name), index } };
    return this;
  }

  /** Uses a synthetic prompt of `tokens` tokens built on the host (see `chatSynthetic`). */
  syntheticPrompt(tokens, seed) {
    this.promptSource = { tag: "synthetic", val: { tokens, seed } };
    return this;
  }

  /** The most tokens to generate, sent as `max_tokens` (every OpenAI-compatible server takes it). */
  maxTokens(n) {
    this._maxTokens = n;
    this._maxTokensField = "max-tokens";
    return this;
  }

  /**
   * The most tokens to generate, sent as `max_completion_tokens` (OpenAI's newer name, which
   * reasoning models require). The last of this and `maxTokens` wins.
   */
  maxCompletionTokens(n) {
    this._maxTokens = n;
    this._maxTokensField = "max-completion-tokens";
    return this;
  }

  /**
   * A header for this request only (e.g. `x-session-id`), sent after the run's (`--header`, the
   * API key); one of the same name replaces the run's. Its value is never recorded.
   */
  header(name, value) {
    this._headers.push([String(name), String(value)]);
    return this;
  }

  /**
   * Adds an image (an `https://` or `data:` URL) to the last message, sent after its text as
   * content parts (chat only). With no message yet (`chatSynthetic`, `chatFromDataset`) it starts
   * an empty user turn whose images the host moves onto the prompt's user turn.
   */
  image(url) {
    if (this.messages.length === 0) this.message("user", "");
    this.messages[this.messages.length - 1].images.push(String(url));
    return this;
  }

  /** Streams the answer (the default): needed for TTFT and ITL. */
  stream(on) {
    this._stream = Boolean(on);
    return this;
  }

  /** A system message placed before the conversation (chat only). */
  system(content) {
    this._system = String(content);
    return this;
  }

  /** Appends a message to the conversation (chat only), for multi-turn requests. */
  message(role, content) {
    this.messages.push({ role: String(role), content: String(content), images: [] });
    return this;
  }

  /** A JSON object merged into the request body (text or an object); empty means none. */
  extra(json) {
    const text = typeof json === "string" ? json : JSON.stringify(json);
    this._extra = text.trim() === "" ? undefined : text;
    return this;
  }

  /**
   * Asks the server to generate exactly `maxTokens` tokens, never stopping at the model's end of
   * sequence (`"ignore_eos": true`: vLLM, SGLang and llama.cpp honour it; servers that refuse
   * unknown fields, such as OpenAI's, answer 400). Sent only when the request sets `maxTokens`.
   */
  ignoreEos(on) {
    this._ignoreEos = Boolean(on);
    return this;
  }

  /** Applies the parameters `info().llmParams()` declares: `stream`, `ignore_eos` and `extra_body`. */
  llmParams() {
    return this.stream(params.flag("stream"))
      .ignoreEos(params.flag("ignore_eos"))
      .extra(params.getOr("extra_body", ""));
  }

  /** A per-request timeout instead of the run's default. */
  timeout(duration) {
    this._timeoutMs = toMs(duration);
    return this;
  }

  /** Adds a tag to this request's metrics (on top of the phase's tags). */
  tag(key, value) {
    this.tags.push(...toTags([[key, value]]));
    return this;
  }

  /** The WIT record; `model` is resolved from the parameter when unset. */
  toRaw() {
    const model = modelOrParam(this._model, () => params.get("model"));
    const messages = this._system === undefined ? this.messages : [{ role: "system", content: this._system, images: [] }, ...this.messages];
    const opt = (v, f = (x) => x) => (v === undefined ? raw.none : f(v));
    const promptSource = rawPromptSource(this.promptSource);
    return {
      api: this.api,
      model: opt(model),
      messages,
      prompt: this.prompt,
      promptSource,
      maxTokens: opt(this._maxTokens),
      maxTokensField: this._maxTokensField,
      stream: this._stream,
      // Only with a limit: without one, ignoring the end of sequence would run to the end of the context.
      extraBody: opt(this._ignoreEos && this._maxTokens !== undefined ? withIgnoreEos(this._extra) : this._extra),
      headers: this._headers,
      timeoutMs: opt(this._timeoutMs, raw.u64),
      tags: this.tags,
    };
  }

  /**
   * Sends the request and waits for the whole answer (a `Completion`: timings, token counts,
   * `text` without reasoning, `ttfoMs`, `reasoningTokens`, `cachedTokens`, `toolCalls`); throws
   * an `LlmError` on failure (`cls` "server-error" when the server answered 2xx with an error).
   */
  send() {
    let done;
    try {
      done = raw.llm.call(this.toRaw());
    } catch (e) {
      throw new LlmError(payloadOf(e));
    }
    return done;
  }
}

/**
 * Sends every request (an iterable of `Request`s) at once and waits until all have ended: an
 * agent's parallel sub-requests, joined. Returns an array in the requests' order, each element a
 * `Completion` or an `LlmError` (returned, not thrown: one failure does not hide the others'
 * answers; test with `instanceof llm.LlmError`). Each is timed and recorded by the host exactly as
 * `send()` would. At most 256 requests; a longer list is refused whole, each `invalid-request`.
 */
export function sendAll(requests) {
  const results = raw.llm.callMany(Array.from(requests, (r) => r.toRaw()));
  return results.map((r) => (r.tag === "ok" ? r.val : new LlmError(r.val)));
}

/**
 * Records whether `done` has the length its request asked for, judged by its `finishReason`: an
 * answer cut at `maxTokens` (`length`) must have exactly that many tokens (the check
 * `output_tokens == max_tokens`); one the model ended itself (`stop`) is counted under
 * `stopped_early` instead, so a short answer shows without being taken for a broken server.
 */
export function checkLength(done, maxTokens) {
  const reason = done.finishReason ?? undefined;
  if (reason === undefined || reason === "length") {
    metrics.check("output_tokens == max_tokens", done.outputTokens === maxTokens);
  } else {
    metrics.count("stopped_early", 1);
  }
}

/** An embeddings request being built (`/v1/embeddings`); send it with `.send()`. */
export class EmbedRequest {
  constructor(inputs, promptSource) {
    this.inputs = inputs;
    this.promptSource = promptSource;
    this._model = undefined;
    this._batch = 1;
    this._extra = undefined;
    this._headers = [];
    this._timeoutMs = undefined;
    this.tags = [];
  }

  /** The model name; by default the `model` parameter, or none when that is empty. */
  model(name) {
    this._model = String(name);
    return this;
  }

  /** How many texts a dataset or synthetic request makes (1 to 2048); inline texts go as given. */
  batch(n) {
    this._batch = n;
    return this;
  }

  /** A JSON object merged into the request body (text or an object); empty means none. */
  extra(json) {
    const text = typeof json === "string" ? json : JSON.stringify(json);
    this._extra = text.trim() === "" ? undefined : text;
    return this;
  }

  /** A header for this request only, as `Request.header`. */
  header(name, value) {
    this._headers.push([String(name), String(value)]);
    return this;
  }

  /** A per-request timeout instead of the run's default. */
  timeout(duration) {
    this._timeoutMs = toMs(duration);
    return this;
  }

  /** Adds a tag to this request's metrics, e.g. `api=embeddings` beside chat calls in one phase. */
  tag(key, value) {
    this.tags.push(...toTags([[key, value]]));
    return this;
  }

  /** The WIT record; `model` is resolved from the parameter when unset. */
  toRaw() {
    const model = modelOrParam(this._model, () => params.get("model"));
    const opt = (v, f = (x) => x) => (v === undefined ? raw.none : f(v));
    return {
      model: opt(model),
      inputs: this.inputs,
      promptSource: rawPromptSource(this.promptSource),
      batch: this._batch,
      extraBody: opt(this._extra),
      headers: this._headers,
      timeoutMs: opt(this._timeoutMs, raw.u64),
      tags: this.tags,
    };
  }

  /** Sends the request: `{status, e2eMs, inputTokens, vectors, dimensions}`; throws an `LlmError`. */
  send() {
    try {
      return raw.llm.embed(this.toRaw());
    } catch (e) {
      throw new LlmError(payloadOf(e));
    }
  }
}

/** Embeds these texts (an array, or one string) in one request. */
export function embed(inputs) {
  const list = typeof inputs === "string" ? [inputs] : Array.from(inputs, String);
  return new EmbedRequest(list, { tag: "inline" });
}

/** Embeds rows `index`, `index + 1`, … of dataset `name` (`.batch(n)` of them), made on the host. */
export function embedFromDataset(name, index) {
  return new EmbedRequest([], { tag: "dataset", val: { name: String(name), index } });
}

/** Embeds synthetic texts of `tokens` tokens of seeds `seed`, `seed + 1`, … (`.batch(n)` of them). */
export function embedSynthetic(tokens, seed) {
  return new EmbedRequest([], { tag: "synthetic", val: { tokens, seed } });
}

/** A prompt source as the WIT takes it (u64 fields in the engine's spelling). */
function rawPromptSource(src) {
  if (src.tag === "dataset") return { tag: "dataset", val: { name: src.val.name, index: raw.u64(src.val.index) } };
  if (src.tag === "synthetic") return { tag: "synthetic", val: { tokens: src.val.tokens, seed: raw.seed(src.val.seed) } };
  return src;
}

/** A chat request (`/v1/chat/completions`) with one user message. */
export function chat(content) {
  return new Request("chat").message("user", content);
}

/**
 * A chat request whose conversation the host takes from row `index` (modulo its length) of
 * dataset `name` (`runner play --data name=path`); the row's answer length is the default
 * `maxTokens`. The prompt never crosses into the guest.
 */
export function chatFromDataset(name, index) {
  return new Request("chat").datasetRow(name, index);
}

/** A chat request with a synthetic prompt of `tokens` tokens built by the host. */
export function chatSynthetic(tokens, seed) {
  return new Request("chat").syntheticPrompt(tokens, seed);
}

/** A text completion request (`/v1/completions`). */
export function completion(prompt) {
  const r = new Request("completions");
  r.prompt = String(prompt);
  return r;
}
