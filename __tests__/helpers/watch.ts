/**
 * An HTTP relay in front of the fault server that records, for each completion request, whether
 * the client closed it before the response ended (an aborted request), and passes the close on
 * upstream, so the fault server sees the abort too.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultServer } from '../../lib/testing/index.js';

/** One request the relay saw. */
export interface WatchedRequest {
  readonly model: string;
  readonly stream: boolean;
  /** `performance.now()` when it arrived and when its connection closed (or the response ended). */
  readonly startedAt: number;
  endedAt?: number;
  /** The client went away before the response was complete. */
  closedByClient?: boolean;
}

export interface Watcher {
  /** `http://127.0.0.1:PORT/v1`, for OpenAI clients. */
  readonly openaiBaseURL: string;
  /** `http://127.0.0.1:PORT`, for Anthropic clients. */
  readonly anthropicBaseURL: string;
  /** Every request so far (optionally of one model string). */
  requests(model?: string): readonly WatchedRequest[];
  /** Resolves once every request seen has ended. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function watch(target: FaultServer): Promise<Watcher> {
  const upstream = new URL(target.url);
  const seen: WatchedRequest[] = [];
  const open = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    open.add(done);
    void readBody(req).then((body) => {
      const json = safeJson(body);
      const entry: WatchedRequest = {
        model: typeof json.model === 'string' ? json.model : '',
        stream: json.stream === true,
        startedAt: performance.now(),
      };
      seen.push(entry);
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      res.on('close', () => {
        entry.endedAt = performance.now();
        entry.closedByClient = !res.writableFinished;
        if (entry.closedByClient) out.destroy(); // the fault server sees the abort as well
        open.delete(done);
        ended();
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests: (model) => (model === undefined ? [...seen] : seen.filter((r) => r.model === model)),
    settled: async () => {
      while (open.size > 0) await Promise.all([...open]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function safeJson(body: string): { model?: unknown; stream?: unknown } {
  try {
    return JSON.parse(body) as { model?: unknown; stream?: unknown };
  } catch {
    return {};
  }
}
