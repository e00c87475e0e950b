// Pure helpers shared by the SDK's modules: durations, parameter values, the model fallback,
// tags, UTF-8 and errors. No host imports, so `node --test` can check them outside a component
// (test/contract.test.mjs against contract/cases.json, the cases every SDK is held to).

/** An error carrying a message fit for the run's log; what a scenario throws ends up there. */
export class ScenarioError extends Error {}

/** A failed llm call: `cls` ("timeout", "http-status", …), the HTTP `status` when one came back. */
export class LlmError extends ScenarioError {
  constructor(e) {
    const status = e.status ?? undefined;
    super(
      status === undefined
        ? `llm ${e.class}: ${e.message}`
        : `llm ${e.class} (HTTP ${status}): ${e.message}`,
    );
    this.cls = e.class;
    this.status = status;
  }
}

/** A failed http request (no response at all; an HTTP error status is a response). */
export class HttpError extends ScenarioError {
  constructor(e) {
    super(`http ${e.class}: ${e.message}`);
    this.cls = e.class;
  }
}

const UNITS = [
  ["ms", 1],
  ["s", 1_000],
  ["m", 60_000],
  ["h", 3_600_000],
];

/**
 * Parses "500ms", "10s", "1.5s", "2m", "1h", "1m30s" or "0" to milliseconds (the Rust SDK's
 * `parse_duration`, same grammar and same messages).
 */
export function parseDuration(text) {
  const value = String(text).trim();
  if (value === "0") return 0;
  if (value === "") throw new ScenarioError("empty duration");
  let rest = value;
  let total = 0;
  while (rest.length > 0) {
    const number = /^[0-9.]*/.exec(rest)[0];
    if (number === "") throw new ScenarioError(`expected a number at ${JSON.stringify(rest)}`);
    if (Number.isNaN(Number(number))) throw new ScenarioError(`bad number ${JSON.stringify(number)}`);
    rest = rest.slice(number.length);
    const unit = /^[^0-9.]*/.exec(rest)[0];
    if (unit === "") throw new ScenarioError("missing unit (use ms, s, m or h)");
    const found = UNITS.find(([name]) => name === unit);
    if (!found) throw new ScenarioError(`unknown unit ${JSON.stringify(unit)} (use ms, s, m or h)`);
    total += Number(number) * found[1];
    rest = rest.slice(unit.length);
  }
  // More milliseconds than a u64 holds, as the Rust SDK refuses them.
  if (!Number.isFinite(total) || total > 2 ** 64) throw new ScenarioError("duration too large");
  // Whole microseconds, as the Rust SDK keeps them.
  return Math.round(total * 1_000) / 1_000;
}

/** A duration given as milliseconds (a number) or as text ("30s"), in whole milliseconds. */
export function toMs(duration) {
  const ms = typeof duration === "number" ? duration : parseDuration(duration);
  if (!Number.isFinite(ms) || ms < 0) throw new ScenarioError(`invalid duration ${String(duration)}`);
  return Math.round(ms);
}

/** `{k: v}` or `[[k, v], …]` to the WIT's list of string pairs. */
export function toTags(tags) {
  if (tags == null) return [];
  const pairs = Array.isArray(tags) ? tags : Object.entries(tags);
  return pairs.map(([k, v]) => [String(k), String(v)]);
}

/** A yes/no switch, case-insensitively; `undefined` when it is neither. */
export function parseFlag(value) {
  const v = String(value).trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  return undefined;
}

/** The error of a parameter whose value does not parse, naming both (as the Rust SDK's). */
export function invalidParam(name, value, reason) {
  return new ScenarioError(`parameter \`${name}\`: invalid value ${JSON.stringify(value)}: ${reason}`);
}

/** Parses one value as a number; `integer` rejects fractions. `name` only labels the error. */
export function parseNumber(name, value, integer = false) {
  const text = String(value).trim();
  const n = text === "" ? NaN : Number(text);
  if (Number.isNaN(n)) throw invalidParam(name, value, "not a number");
  if (integer && !Number.isInteger(n)) throw invalidParam(name, value, "not a whole number");
  return n;
}

/** Parses one value as a whole number, ≥ 0 unless `signed`. */
export function parseInteger(name, value, { signed = false } = {}) {
  const n = parseNumber(name, value, true);
  if (!signed && n < 0) throw invalidParam(name, value, "must not be negative");
  return n;
}

/** Parses a comma-separated list with `item` ("20,24,32"); empty is [], an empty item an error. */
export function parseList(name, value, item = (s) => s) {
  if (String(value).trim() === "") return [];
  return String(value)
    .split(",")
    .map((part) => {
      const p = part.trim();
      if (p === "") throw invalidParam(name, value, "empty item in comma-separated list");
      try {
        return item(p);
      } catch (e) {
        throw invalidParam(name, value, `item ${JSON.stringify(p)}: ${e.message ?? e}`);
      }
    });
}

/** Parses a comma-separated list of whole numbers ≥ 0 ("20,24,32,48,64"). */
export function parseIntList(name, value) {
  return parseList(name, value, (p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new ScenarioError("not a whole number ≥ 0");
    return n;
  });
}

/**
 * The model a request sends: the one set on it (even ""), else the `model` parameter (`param()`,
 * asked only then) unless it is blank, else `undefined`.
 */
export function modelOrParam(set, param) {
  if (set !== undefined) return set;
  const m = param() ?? undefined;
  return m !== undefined && m.trim() !== "" ? m : undefined;
}

/**
 * The extra body with `"ignore_eos":true` put first inside the scenario's JSON object, so a field
 * of the scenario's own wins (the host reads the last of repeated fields); a text that is not an
 * object is left as it is (the host refuses it).
 */
export function withIgnoreEos(extra) {
  const field = '{"ignore_eos":true';
  if (extra === undefined) return `${field}}`;
  const trimmed = extra.trimStart();
  if (!trimmed.startsWith("{")) return extra;
  const rest = trimmed.slice(1);
  const inner = rest.trimStart();
  return inner.startsWith("}") ? `${field}${inner}` : `${field},${rest}`;
}

/** Encodes a string as UTF-8 (QuickJS has no `TextEncoder`). */
export function utf8Encode(text) {
  const s = String(text);
  const out = [];
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

/** Decodes UTF-8 bytes; malformed sequences become U+FFFD. */
export function utf8Decode(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let c = 0xfffd;
    let n = 1;
    if (b < 0x80) c = b;
    else if (b >= 0xc2 && b < 0xe0) n = 2;
    else if (b >= 0xe0 && b < 0xf0) n = 3;
    else if (b >= 0xf0 && b < 0xf5) n = 4;
    if (n > 1) {
      if (i + n > bytes.length) n = 1;
      else {
        c = b & (0xff >> (n + 1));
        for (let k = 1; k < n; k++) {
          const cont = bytes[i + k];
          if ((cont & 0xc0) !== 0x80) {
            c = 0xfffd;
            n = 1;
            break;
          }
          c = (c << 6) | (cont & 63);
        }
      }
    }
    out += String.fromCodePoint(c);
    i += n;
  }
  return out;
}

/** The message of anything thrown: an Error's message, a string as is, else its JSON. */
export function messageOf(e) {
  if (e instanceof Error) return e.message;
  if (typeof e === "string") return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/**
 * The payload of an error a WIT import returned: QuickJS throws the `err` value itself,
 * StarlingMonkey wraps it in an error whose `payload` holds it.
 */
export function payloadOf(e) {
  return e && typeof e === "object" && "payload" in e ? e.payload : e;
}
