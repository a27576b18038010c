/**
 * The plain shape of an HTTP exchange the collector's logic works on: no `aws-lambda` types, so
 * the processor and its steps are tested with plain data. `handler.ts` converts API Gateway HTTP
 * API (payload 2.0) and Lambda function URL events, which share one format, to and from it.
 */
export interface CollectorRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** Lower-cased names; repeated headers joined with `,` (as payload 2.0 does). */
  headers: Readonly<Record<string, string | undefined>>;
  query: URLSearchParams;
  body: Uint8Array;
  /** The address of the peer (the socket, or what the HTTPS endpoint reports as `sourceIp`). */
  sourceIp: string;
  /** When the collector received the request (epoch ms): the clock of every verdict. */
  receivedAtMs: number;
}

export interface CollectorResponse {
  status: number;
  headers: Record<string, string>;
  /** A string (JSON, JavaScript) or bytes (the GIF). */
  body: string | Uint8Array;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): CollectorResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(value) };
}
