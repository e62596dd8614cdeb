/**
 * The fault server: a node:http server on 127.0.0.1 that speaks the OpenAI and Anthropic
 * wire formats and plays the faults each request asks for.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicWire } from './anthropic-wire.js';
import { handleCompletion, handleModels } from './completion.js';
import { HitLog, type FaultHit } from './hits.js';
import { sendJson, type RequestContext } from './http.js';
import { openaiWire } from './openai-wire.js';
import { checkReplyScript, type ReplyScript } from './script.js';

/** Where the fault server listens. */
export interface FaultServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /**
   * Named reply scripts, chosen per request with the spec key `reply=<name>`.
   *
   * @example
   * ```ts
   * const server = await FaultServer.start({
   *   replies: { weather: { toolCalls: [{ name: 'get_weather', input: { city: 'Paris' } }] } },
   * });
   * // model 'gpt-4o~reply=weather' now answers with that tool call, finish_reason 'tool_calls'
   * ```
   */
  replies?: Readonly<Record<string, ReplyScript>>;
}

const REPLY_NAME = /^[A-Za-z0-9_.-]+$/;

/** Checks a reply name and script, throwing a TypeError / RangeError that names the culprit. */
function checkReply(name: unknown, script: unknown): ReplyScript {
  if (typeof name !== 'string' || !REPLY_NAME.test(name)) {
    throw new TypeError(`reply names must match ${String(REPLY_NAME)}, got ${JSON.stringify(name)}`);
  }
  return checkReplyScript(script, `reply \`${name}\``);
}

function route(ctx: RequestContext): Promise<void> | void {
  const { req, res, url, log } = ctx;
  const key = `${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '')}`;
  switch (key) {
    case 'POST /v1/chat/completions':
      return handleCompletion(ctx, openaiWire);
    case 'POST /v1/messages':
      return handleCompletion(ctx, anthropicWire);
    case 'GET /v1/models':
      return handleModels(ctx, openaiWire, anthropicWire);
    case 'GET /_fault/hits':
      return sendJson(res, 200, log.report(url.searchParams.get('model') ?? undefined));
    case 'DELETE /_fault/hits':
    case 'POST /_fault/reset':
      log.clear();
      return sendJson(res, 200, { ok: true });
    default:
      return sendJson(res, 404, {
        error: {
          message: `Unknown route: ${key}`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      });
  }
}

/**
 * A local HTTP server that answers like the OpenAI and Anthropic APIs and fails on demand.
 * Pick a fault per request with a model suffix (`gpt-4o~status=503`) or an `x-fault` header.
 *
 * @example
 * ```ts
 * const server = await FaultServer.start();
 * const openai = new OpenAI({ apiKey: 'x', baseURL: server.openaiBaseURL });
 * await openai.chat.completions.create({ model: faultModel('gpt-4o', { status: 503, fail_first: 1 }), messages });
 * server.hitCount(); // 1 (or more, with the SDK's own retries)
 * await server.close();
 * ```
 */
export class FaultServer {
  /** The port the server listens on. */
  readonly port: number;
  /** `http://<host>:<port>`. */
  readonly url: string;
  /** Base URL for OpenAI clients: `url + '/v1'`. */
  readonly openaiBaseURL: string;
  /** Base URL for Anthropic clients: `url` (they post to `/v1/messages`). */
  readonly anthropicBaseURL: string;

  readonly #server: Server;
  readonly #log: HitLog;
  readonly #inflight: Set<AbortController>;
  readonly #replies: Map<string, ReplyScript>;
  #closing: Promise<void> | undefined;

  private constructor(
    server: Server,
    log: HitLog,
    inflight: Set<AbortController>,
    replies: Map<string, ReplyScript>,
    host: string,
  ) {
    this.#server = server;
    this.#replies = replies;
    this.#log = log;
    this.#inflight = inflight;
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    this.openaiBaseURL = `${this.url}/v1`;
    this.anthropicBaseURL = this.url;
  }

  /**
   * Starts a server and resolves once it listens.
   *
   * @example
   * ```ts
   * const server = await FaultServer.start({ port: 8787 });
   * ```
   */
  static start(options: FaultServerOptions = {}): Promise<FaultServer> {
    const port = options.port ?? 0;
    const host = options.host ?? '127.0.0.1';
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return Promise.reject(new RangeError(`\`port\` must be an integer 0–65535, got ${port}`));
    }
    const replies = new Map<string, ReplyScript>();
    try {
      for (const [name, script] of Object.entries(options.replies ?? {})) {
        replies.set(name, checkReply(name, script));
      }
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const log = new HitLog();
    const inflight = new Set<AbortController>();
    let counter = 0;
    const nextRequestId = () => `req_${++counter}`;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const controller = new AbortController();
      inflight.add(controller);
      res.on('close', () => {
        inflight.delete(controller);
        controller.abort(new Error('request closed'));
      });
      const url = new URL(req.url ?? '/', 'http://fault.local');
      const ctx: RequestContext = { req, res, url, signal: controller.signal, log, replies, nextRequestId };
      Promise.resolve()
        .then(() => route(ctx))
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          if (!res.headersSent) {
            sendJson(res, 500, {
              error: { message: String(error), type: 'server_error', param: null, code: null },
            });
          } else {
            res.destroy();
          }
        });
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(new FaultServer(server, log, inflight, replies, host));
      });
    });
  }

  /**
   * Registers (or replaces) a named reply script, chosen per request with `reply=<name>`.
   * Throws a TypeError / RangeError naming the bad field.
   *
   * @example
   * ```ts
   * server.defineReply('answer', { json: { city: 'Paris', celsius: 21 } });
   * await openai.chat.completions.create({ model: 'gpt-4o~reply=answer', messages });
   * ```
   */
  defineReply(name: string, script: ReplyScript): this {
    this.#replies.set(name, checkReply(name, script));
    return this;
  }

  /** The recorded hits, optionally only those of one full model string. */
  hits(model?: string): FaultHit[] {
    return this.#log.list(model);
  }

  /** How many hits were recorded, optionally of one full model string. */
  hitCount(model?: string): number {
    return this.#log.count(model);
  }

  /** Forgets every hit and every `fail_first` counter. */
  resetHits(): void {
    this.#log.clear();
  }

  /** Ends every open connection (hung and stalled ones too), clears every timer and stops listening. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve, reject) => {
      for (const controller of this.#inflight) controller.abort(new Error('fault server closed'));
      this.#inflight.clear();
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }
}
