// Multi-turn conversations (the Rust SDK's `llm::Session`): a `Session` holds one conversation's
// history, so each turn sends everything said so far plus the new user message, and the answer
// becomes history for the next turn.

import { chat } from "./llm.js";

/** The header that carries the session id (what routers use for session affinity). */
export const SESSION_HEADER = "x-session-id";

/** One conversation held by a VU; its history grows with each answered turn. */
export class Session {
  /** A new, empty conversation; `id` goes out in the `x-session-id` header of every turn. */
  constructor(id) {
    this.id = String(id);
    this.headerName = SESSION_HEADER;
    this.systemMessage = undefined;
    this.history = [];
    this.turns = 0;
  }

  /** The system message every turn opens with. */
  system(content) {
    this.systemMessage = String(content);
    return this;
  }

  /** Sends the session id under another header name; "" sends none. */
  header(name) {
    this.headerName = String(name);
    return this;
  }

  /**
   * The request for the next turn: the history, then `content` as the user's message (or a
   * whole `{role, content, images}` message), the session header and the tag `turn` = the turn's
   * number from 1. Send it with `session.send(req)`.
   */
  ask(content) {
    const user =
      typeof content === "object" && content !== null
        ? { role: "user", content: String(content.content), images: content.images ?? [] }
        : { role: "user", content: String(content), images: [] };
    const req = chat("");
    req.messages = [...this.history, user];
    if (this.systemMessage !== undefined) req.system(this.systemMessage);
    if (this.headerName !== "") req.header(this.headerName, this.id);
    return req.tag("turn", this.turns + 1);
  }

  /**
   * Sends a request made by `ask`; when answered, its user message and the answer's text join
   * the history. A failed turn (it throws) leaves the history as it was but counts as a turn.
   */
  send(req) {
    return this.#send(req, undefined);
  }

  /** `send`, but the history keeps `answer` (a recorded answer) instead of the server's. */
  sendWithAnswer(req, answer) {
    return this.#send(req, String(answer));
  }

  #send(req, answer) {
    const user = req.messages[req.messages.length - 1];
    this.turns += 1;
    const done = req.send();
    if (user !== undefined) this.record(user, answer ?? done.text);
    return done;
  }

  /** Adds a turn to the history without sending it (a recorded answer, or context). */
  record(user, answer) {
    const u = typeof user === "string" ? { role: "user", content: user, images: [] } : user;
    this.history.push(u, { role: "assistant", content: String(answer), images: [] });
  }
}
