/**
 * Small node:http helpers shared by the routes: read a JSON body, send a JSON answer,
 * and the per-request context the routes receive.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Headers } from './headers.js';
import type { HitLog } from './hits.js';
import type { ReplyScript } from './script.js';

/** What every route handler receives. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Aborts when the client goes away or the server closes. */
  signal: AbortSignal;
  log: HitLog;
  /** The reply scripts registered on the server, by name. */
  replies: ReadonlyMap<string, ReplyScript>;
  /** The next `req_<counter>` id of this server. */
  nextRequestId(): string;
}

/** Reads the request body and parses it as a JSON object. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Sends a complete JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, STATUS_CODES[status] ?? (status === 529 ? 'Overloaded' : 'Unknown'), {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** The value of a request header, joined if repeated. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(';') : value;
}
