import { LLMError, StreamInterruptedError } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { drain } from './helpers/script.js';
import { PROVIDERS, type ProviderName, wireLLM } from './helpers/wire.js';

/** What one call ended with: an error class (with its context) or `ok`. */
interface Seen {
  readonly outcome: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly retryable?: boolean;
  readonly partialText?: string;
  readonly cause?: string;
}

interface Case {
  readonly fault: string;
  readonly options?: { timeout?: number; firstChunkTimeout?: number; idleTimeout?: number };
  /** Expected per mode; `both` for ask and stream alike. A function of the provider where they differ. */
  readonly ask?: Seen | ((p: ProviderName) => Seen);
  readonly stream?: Seen | ((p: ProviderName) => Seen);
  readonly both?: Seen | ((p: ProviderName) => Seen);
}

const inThirtySeconds = new Date(Date.now() + 30_000).toUTCString();
const OK: Seen = { outcome: 'ok' };

const CASES: readonly Case[] = [
  { fault: 'status=400', both: { outcome: 'BadRequestError', status: 400, retryable: false } },
  { fault: 'status=401', both: { outcome: 'AuthenticationError', status: 401, retryable: false } },
  { fault: 'status=403', both: { outcome: 'PermissionDeniedError', status: 403, retryable: false } },
  { fault: 'status=404', both: { outcome: 'NotFoundError', status: 404, retryable: false } },
  { fault: 'status=408', both: { outcome: 'TimeoutError', status: 408, retryable: true } },
  { fault: 'status=422', both: { outcome: 'BadRequestError', status: 422, retryable: false } },
  { fault: 'status=429', both: { outcome: 'RateLimitError', status: 429, retryable: true } },
  {
    fault: 'status=429;retry_after_ms=1500',
    both: { outcome: 'RateLimitError', status: 429, retryAfterMs: 1500, retryable: true },
  },
  {
    fault: 'status=429;retry_after=2',
    both: { outcome: 'RateLimitError', status: 429, retryAfterMs: 2000, retryable: true },
  },
  {
    fault: `status=429;retry_after=${encodeURIComponent(inThirtySeconds)}`,
    both: { outcome: 'RateLimitError', status: 429, retryAfterMs: 30_000, retryable: true },
  },
  {
    fault: 'error=insufficient_quota',
    both: { outcome: 'QuotaExceededError', status: 429, retryable: false },
  },
  { fault: 'status=500', both: { outcome: 'ServerError', status: 500, retryable: true } },
  { fault: 'status=502', both: { outcome: 'ServerError', status: 502, retryable: true } },
  {
    fault: 'status=503;retry_after=1',
    both: { outcome: 'OverloadedError', status: 503, retryAfterMs: 1000, retryable: true },
  },
  {
    fault: 'status=503;should_retry=false',
    both: { outcome: 'OverloadedError', status: 503, retryable: false },
  },
  {
    fault: 'status=529;retry_after_ms=250',
    both: { outcome: 'OverloadedError', status: 529, retryAfterMs: 250, retryable: true },
  },
  {
    fault: 'status=400;should_retry=true',
    both: { outcome: 'BadRequestError', status: 400, retryable: true },
  },
  {
    fault: 'error=context_length_exceeded',
    both: { outcome: 'ContextLengthError', status: 400, retryable: false },
  },
  { fault: 'error=content_filter', both: { outcome: 'ContentFilterError', status: 400, retryable: false } },
  { fault: 'latency=300', options: { timeout: 50 }, both: { outcome: 'TimeoutError', retryable: true } },
  { fault: 'hang', options: { timeout: 50 }, both: { outcome: 'TimeoutError', retryable: true } },
  { fault: 'reset', both: { outcome: 'ConnectionError', retryable: true } },
  {
    fault: 'drop_after=2',
    ask: OK,
    stream: {
      outcome: 'StreamInterruptedError',
      partialText: 'Hello from',
      cause: 'ConnectionError',
      retryable: true,
    },
  },
  {
    fault: 'drop_after=0',
    ask: OK,
    stream: { outcome: 'ConnectionError', retryable: true },
  },
  {
    fault: 'end_after=2',
    ask: OK,
    stream: { outcome: 'StreamInterruptedError', partialText: 'Hello from', retryable: true },
  },
  {
    fault: 'stall_after=1',
    options: { idleTimeout: 100 },
    ask: OK,
    stream: {
      outcome: 'StreamInterruptedError',
      partialText: 'Hello',
      cause: 'TimeoutError',
      retryable: true,
    },
  },
  { fault: 'stall_after=1;stall_ms=30', options: { idleTimeout: 1000 }, ask: OK, stream: OK },
  {
    fault: 'first_chunk_delay=300',
    options: { firstChunkTimeout: 100 },
    ask: OK,
    stream: { outcome: 'TimeoutError', retryable: true },
  },
  {
    fault: 'first_chunk_delay=300',
    options: { idleTimeout: 100 },
    ask: OK,
    stream: { outcome: 'TimeoutError', retryable: true },
  },
  { fault: 'malformed_after=0', ask: OK, stream: { outcome: 'ServerError', retryable: true } },
  {
    fault: 'malformed_after=1',
    ask: OK,
    stream: {
      outcome: 'StreamInterruptedError',
      partialText: 'Hello',
      cause: 'ServerError',
      retryable: true,
    },
  },
  { fault: 'no_done', both: OK },
  {
    fault: 'error_event_after=0',
    ask: OK,
    stream: (p) => ({ outcome: p === 'openai' ? 'ServerError' : 'OverloadedError', retryable: true }),
  },
  {
    fault: 'error_event_after=0;error_type=rate_limit_error',
    ask: OK,
    stream: { outcome: 'RateLimitError', retryable: true },
  },
  {
    fault: 'error_event_after=2',
    ask: OK,
    stream: (p) => ({
      outcome: 'StreamInterruptedError',
      partialText: 'Hello from',
      cause: p === 'openai' ? 'ServerError' : 'OverloadedError',
      retryable: true,
    }),
  },
];

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
afterAll(() => server.close());

function seen(error: unknown): Seen {
  if (!(error instanceof LLMError))
    return { outcome: error instanceof Error ? `raw ${error.name}: ${error.message}` : String(error) };
  return {
    outcome: error.name,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    retryable: error.retryable,
    ...(error instanceof StreamInterruptedError ? { partialText: error.partialText } : {}),
    ...(error instanceof StreamInterruptedError && error.cause instanceof Error
      ? { cause: error.cause.name }
      : {}),
  };
}

async function run(provider: ProviderName, c: Case, mode: 'ask' | 'stream'): Promise<Seen> {
  const llm = wireLLM(server, provider, `probe~${c.fault}`, c.options);
  if (mode === 'ask') {
    try {
      await llm.ask('hi');
      return OK;
    } catch (error) {
      return seen(error);
    }
  }
  const stream = llm.stream('hi');
  const { error } = await drain(stream);
  if (error === undefined) {
    const reply = await stream.finalReply();
    return reply.text === 'Hello from probe.' ? OK : { outcome: `truncated: ${JSON.stringify(reply.text)}` };
  }
  await expect(stream.finalReply()).rejects.toBe(error);
  return seen(error);
}

const table: string[] = [];

describe.each(PROVIDERS)('%s over the real SDK', (provider) => {
  it.each(CASES.map((c) => [c.fault + (c.options ? ` ${JSON.stringify(c.options)}` : ''), c] as const))(
    'classifies %s',
    async (_name, c) => {
      for (const mode of ['ask', 'stream'] as const) {
        const spec = c[mode] ?? c.both;
        const expected = typeof spec === 'function' ? spec(provider) : spec;
        const actual = await run(provider, c, mode);
        const got =
          actual.retryAfterMs !== undefined && expected?.retryAfterMs === 30_000
            ? { ...actual, retryAfterMs: roundTo30s(actual.retryAfterMs) }
            : actual;
        expect({ mode, ...got }).toEqual({ mode, ...expected });
        table.push(
          `| ${provider} | ${mode} | \`${c.fault}\`${c.options ? ` ${JSON.stringify(c.options)}` : ''} | ${summarise(actual)} |`,
        );
      }
    },
  );
});

// The date is fixed when the file loads; the Anthropic rows run seconds later (more under load).
function roundTo30s(ms: number): number {
  return ms > 10_000 && ms <= 30_000 ? 30_000 : ms;
}

function summarise(s: Seen): string {
  const extra = [
    s.status === undefined ? '' : `status ${s.status}`,
    s.retryAfterMs === undefined ? '' : `retryAfterMs ${s.retryAfterMs}`,
    s.partialText === undefined ? '' : `partialText ${JSON.stringify(s.partialText)}`,
    s.cause === undefined ? '' : `cause ${s.cause}`,
    s.retryable === undefined ? '' : s.retryable ? 'retryable' : 'not retryable',
  ].filter(Boolean);
  return `${s.outcome}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

afterAll(() => {
  if (process.env.FAULT_TABLE) {
    process.stdout.write(
      ['| provider | mode | fault | result |', '|---|---|---|---|', ...table.sort()].join('\n') + '\n',
    );
  }
});
