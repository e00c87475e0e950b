// Plain HTTP requests timed by the host, for non-LLM targets and health checks (the Rust SDK's `http`).

import * as raw from "runner-sdk:raw";
import { HttpError, payloadOf, toMs, toTags, utf8Decode, utf8Encode } from "./util.js";

export { HttpError };

/** An HTTP request being built; send it with `.send()`. */
export class Request {
  constructor(method, url) {
    this.method = String(method);
    this.url = String(url);
    this.headers = [];
    this.body = new Uint8Array(0);
    this.timeoutMs = undefined;
    this.tags = [];
    this.responseContent = "full";
  }

  /**
   * Leaves the response's headers and body on the host: the guest gets the status, the body's
   * size and the timings. Cheapest for load that does not read the answer.
   */
  statusOnly() {
    this.responseContent = "status-only";
    return this;
  }

  /** Adds a header. */
  header(name, value) {
    this.headers.push([String(name), String(value)]);
    return this;
  }

  /** Replaces the body: a string (sent as UTF-8), bytes, or an object (sent as JSON). */
  setBody(body) {
    if (typeof body === "string") this.body = utf8Encode(body);
    else if (body instanceof Uint8Array) this.body = body;
    else if (Array.isArray(body)) this.body = new Uint8Array(body);
    else this.body = utf8Encode(JSON.stringify(body));
    return this;
  }

  /** A per-request timeout instead of the run's default. */
  timeout(duration) {
    this.timeoutMs = toMs(duration);
    return this;
  }

  /** Adds a tag to this request's metrics (on top of the phase's tags). */
  tag(key, value) {
    this.tags.push(...toTags([[key, value]]));
    return this;
  }

  /** The WIT record this request becomes. */
  toRaw() {
    return {
      method: this.method,
      url: this.url,
      headers: this.headers,
      body: this.body,
      timeoutMs: this.timeoutMs === undefined ? raw.none : raw.u64(this.timeoutMs),
      tags: this.tags,
      responseContent: this.responseContent,
    };
  }

  /** Sends the request and waits for the whole response; `response.text()` decodes the body. */
  send() {
    let r;
    try {
      r = raw.http.send(this.toRaw());
    } catch (e) {
      throw new HttpError(payloadOf(e));
    }
    r.bodyBytes = Number(r.bodyBytes);
    r.text = () => utf8Decode(r.body);
    return r;
  }
}

/** A request with any method; `url` is absolute, or a path starting with `/` joined to the target. */
export const request = (method, url) => new Request(method, url);
/** A GET request. */
export const get = (url) => new Request("GET", url);
/** A POST request with a body. */
export const post = (url, body) => new Request("POST", url).setBody(body);
