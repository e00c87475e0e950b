/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/http@0.4.0' {
  /**
   * Sends one request and waits for the whole response. An HTTP error status is a response,
   * not an error.
   */
  export function send(req: Request): Response;
  export type Tags = import('runner:scenario/types@0.4.0').Tags;
  /**
   * What of a response crosses into the guest. The host reads and times the whole body
   * either way; leaving headers and body on the host side makes a request cheaper.
   * # Variants
   * 
   * ## `"full"`
   * 
   * Status, headers and body.
   * ## `"status-only"`
   * 
   * Status, size and timings only (headers and body come back empty).
   */
  export type ResponseContent = 'full' | 'status-only';
  export interface Request {
    /**
     * GET, POST, ...
     */
    method: string,
    /**
     * An absolute URL, or a path (starting with `/`) joined to the target.
     */
    url: string,
    headers: Array<[string, string]>,
    body: Uint8Array,
    /**
     * Per-request timeout; none means the run's default (`--timeout`).
     */
    timeoutMs?: bigint,
    /**
     * Tags for this request's metrics, added to the phase's tags.
     */
    tags: Tags,
    /**
     * What of the response the guest gets back.
     */
    responseContent: ResponseContent,
  }
  /**
   * Host-side timings, in milliseconds from the moment the request was handed to the client.
   */
  export interface Timings {
    /**
     * Time to establish the connection (TCP and TLS); none when a pooled connection was reused.
     */
    connectMs?: number,
    /**
     * Time to the response headers.
     */
    ttfbMs: number,
    /**
     * Time to the last byte of the body.
     */
    totalMs: number,
  }
  export interface Response {
    status: number,
    headers: Array<[string, string]>,
    body: Uint8Array,
    /**
     * The body's size in bytes, as received (whatever `response-content` kept).
     */
    bodyBytes: bigint,
    timings: Timings,
  }
  /**
   * # Variants
   * 
   * ## `"connect"`
   * 
   * The connection could not be opened (refused, DNS, TLS handshake).
   * ## `"timeout"`
   * 
   * No complete answer within the timeout.
   * ## `"reset"`
   * 
   * The connection was closed or reset before the answer was complete.
   * ## `"invalid-request"`
   * 
   * The request itself is invalid (bad URL, method or header).
   * ## `"denied"`
   * 
   * The destination is not allowed for this run.
   * ## `"other"`
   */
  export type ErrorClass = 'connect' | 'timeout' | 'reset' | 'invalid-request' | 'denied' | 'other';
  export interface Error {
    'class': ErrorClass,
    message: string,
  }
}
