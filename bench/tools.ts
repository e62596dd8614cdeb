/**
 * Tool-call rows for sections 1 and 2 (issue 9): the same server answers with a scripted tool
 * call (an inline `reply=` script in the model name, `faultModel`), and each stack sends the same
 * tool definition — (a) the raw `openai` client, (b) `OpenAILLM` bare, (c) retry + fallback,
 * (d) the full chain. Ask: latency and CPU per call, interleaved like the text rows. Stream: time
 * to the first argument delta, the whole stream, CPU per stream. Every answer is checked against
 * the scripted call (name and parsed arguments).
 */
import OpenAI from 'openai';
import type { LLM, ToolSpec } from './lib.js';
import { faultModel } from '../lib/testing/index.js';
import { cpuPerCall } from './overhead.js';
import type { OverheadCounts } from './overhead.js';
import type { StreamingCounts } from './streaming.js';
import { cpuMicros, median, micros, ms, once, p99, ratio, type Table } from './stats.js';
import {
  type OnChunk,
  provider,
  fullChainLLM,
  retryFallbackLLM,
  type Stack,
  type Upstream,
} from './stacks.js';

const PARAMETERS = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer' },
  },
  required: ['city'],
} as const;

const TOOL: ToolSpec = {
  name: 'get_weather',
  description: 'The forecast for a city.',
  parameters: PARAMETERS,
};
const INPUT = { city: 'Paris', unit: 'celsius', days: 3 };
/** What every stack must end up with: the call's name and its parsed arguments. */
const EXPECTED = `get_weather ${JSON.stringify(INPUT)}`;
/** Argument deltas per streamed call. */
export const ARG_CHUNKS = 8;

/** `base` answering with one scripted `get_weather` call, its arguments streamed in `ARG_CHUNKS` deltas. */
export function toolModel(base: string): string {
  return faultModel(base, {
    reply: { toolCalls: [{ id: 'call_bench', name: 'get_weather', input: INPUT }] },
    arg_chunks: ARG_CHUNKS,
  });
}

/** The upstream with both models replaced by their tool-call variants. */
function toolUpstream(up: Upstream): Upstream {
  return { ...up, primary: toolModel(up.primary), fallback: toolModel(up.fallback) };
}

/** (a) the raw client with the same tool, `tool_calls` assembled from the deltas by `index`. */
function rawTools(up: Upstream): Stack {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: up.baseURL, maxRetries: 0, fetch: up.fetch });
  const tools = [{ type: 'function' as const, function: { ...TOOL, parameters: PARAMETERS } }];
  const messages = (prompt: string) => [{ role: 'user' as const, content: prompt }];
  return {
    id: 'a',
    label: 'raw openai client (maxRetries 0), same tool',
    async ask(prompt) {
      const r = await client.chat.completions.create({
        model: up.primary,
        messages: messages(prompt),
        tools,
      });
      const call = r.choices[0]?.message.tool_calls?.[0];
      if (call?.type !== 'function') return '';
      return `${call.function.name} ${JSON.stringify(JSON.parse(call.function.arguments))}`;
    },
    async stream(prompt, onChunk) {
      const events = await client.chat.completions.create({
        model: up.primary,
        messages: messages(prompt),
        tools,
        stream: true,
      });
      const calls: { name: string; args: string }[] = [];
      for await (const event of events) {
        for (const d of event.choices[0]?.delta?.tool_calls ?? []) {
          const call = (calls[d.index] ??= { name: '', args: '' });
          if (d.function?.name) call.name = d.function.name;
          const piece = d.function?.arguments;
          if (!piece) continue;
          onChunk?.(piece);
          call.args += piece;
        }
      }
      const call = calls[0];
      return call ? `${call.name} ${JSON.stringify(JSON.parse(call.args))}` : '';
    },
  };
}

/** One of our chains, every call sending the tool; `reset` (restart mode) discards the calls so far. */
function oursTools(id: string, label: string, llm: LLM): Stack {
  const options = { tools: [TOOL] };
  return {
    id,
    label,
    async ask(prompt) {
      const call = (await llm.ask(prompt, options)).toolCalls[0];
      return call ? `${call.name} ${JSON.stringify(call.input)}` : '';
    },
    async stream(prompt, onChunk?: OnChunk) {
      let done = '';
      for await (const chunk of llm.stream(prompt, options)) {
        if (chunk.type === 'reset') done = '';
        else if (chunk.type === 'tool-call-delta') onChunk?.(chunk.inputDelta);
        else if (chunk.type === 'tool-call' && done === '')
          done = `${chunk.name} ${JSON.stringify(chunk.input)}`;
      }
      return done;
    },
  };
}

/** The tool-call stacks: (a) raw, (b) bare, (c) retry + fallback, (d) the full chain. */
export function toolStacks(up: Upstream): Stack[] {
  const u = toolUpstream(up);
  return [
    rawTools(u),
    oursTools('b', 'OpenAILLM bare, same tool', provider(u, u.primary)),
    oursTools('c', 'ours, retry + fallback, same tool', retryFallbackLLM(u)),
    oursTools('d', 'ours, full chain, same tool', fullChainLLM(u)),
  ];
}

function check(stack: Stack, got: string): void {
  if (got !== EXPECTED) throw new Error(`(${stack.id}) tool call ${JSON.stringify(got)}, want ${EXPECTED}`);
}

let prompts = 0;
const prompt = (): string => `Tool prompt ${++prompts}: what is the weather in Paris?`;

/** Section 1's tool-call rows: sequential latency, interleaved in a rotating order, and CPU per call. */
export async function toolAskTable(up: Upstream, counts: OverheadCounts): Promise<Table> {
  const stacks = toolStacks(up);
  for (let i = 0; i < counts.warmup; i++) for (const s of stacks) await s.ask(prompt()).catch(() => '');
  const seq = new Map(stacks.map((s) => [s.id, [] as number[]]));
  for (let r = 0; r < counts.sequential; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      const t0 = performance.now();
      check(s, await once(() => s.ask(prompt())));
      seq.get(s.id)!.push(performance.now() - t0);
    }
  }
  const cpu = await cpuPerCall(stacks, counts.cpuRounds, counts.cpuBlock);
  const raw = median(seq.get('a')!);
  return {
    title: 'Tool-call reply: ask (one scripted tool call, the same tool definition on every stack)',
    headers: ['stack', 'seq median ms', 'seq p99 ms', 'seq ×raw', 'CPU µs/call', 'CPU µs added'],
    rows: stacks.map((s) => [
      `(${s.id}) ${s.label}`,
      ms(median(seq.get(s.id)!)),
      ms(p99(seq.get(s.id)!)),
      ratio(median(seq.get(s.id)!), raw),
      micros(cpu.perCall(s.id)),
      s.id === 'a' ? '–' : micros(cpu.added(s.id, 'a')),
    ]),
    notes: [
      `The server answers every request with one \`get_weather\` call (an inline \`reply=\` script); ${counts.sequential} sequential calls per stack, interleaved call by call in a rotating order after ${counts.warmup} warm-up calls each; each answer checked (name and parsed arguments). CPU: ${counts.cpuRounds} rotating blocks of ${counts.cpuBlock} calls, as for the text rows. Over loopback only.`,
    ],
  };
}

/** Section 2's tool-call rows: time to the first argument delta, the whole stream, CPU per stream. */
export async function toolStreamTable(up: Upstream, counts: StreamingCounts): Promise<Table> {
  const stacks = toolStacks(up);
  const streams = counts.shortStreams;
  for (let i = 0; i < Math.max(counts.warmup, 1); i++)
    for (const s of stacks) await s.stream(prompt()).catch(() => '');
  const first = new Map(stacks.map((s) => [s.id, [] as number[]]));
  const total = new Map(stacks.map((s) => [s.id, [] as number[]]));
  const cpu = new Map(stacks.map((s) => [s.id, [] as number[]]));
  for (let r = 0; r < streams; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      const arrivals: number[] = [];
      const start = process.cpuUsage();
      const t0 = performance.now();
      const got = await once(() => s.stream(prompt(), () => arrivals.push(performance.now() - t0)));
      const elapsed = performance.now() - t0;
      cpu.get(s.id)!.push(cpuMicros(start));
      check(s, got);
      if (arrivals.length !== ARG_CHUNKS)
        throw new Error(`(${s.id}) ${arrivals.length} argument deltas, want ${ARG_CHUNKS}`);
      first.get(s.id)!.push(arrivals[0]!);
      total.get(s.id)!.push(elapsed);
    }
  }
  const m = (map: Map<string, number[]>, id: string): number => median(map.get(id)!);
  const added = (map: Map<string, number[]>, id: string, f: (v: number) => string): string =>
    id === 'a' ? '–' : f(m(map, id) - m(map, 'a'));
  return {
    title: `Tool-call reply: stream (one tool call, arguments in ${ARG_CHUNKS} deltas)`,
    headers: [
      'stack',
      'first delta ms',
      'added ms',
      'whole stream ms',
      'p99 ms',
      'added ms',
      'CPU µs/stream',
      'CPU µs added',
    ],
    rows: stacks.map((s) => [
      `(${s.id}) ${s.label}`,
      ms(m(first, s.id)),
      added(first, s.id, ms),
      ms(m(total, s.id)),
      ms(p99(total.get(s.id)!)),
      added(total, s.id, ms),
      micros(m(cpu, s.id)),
      added(cpu, s.id, micros),
    ]),
    notes: [
      `${streams} streams per stack, interleaved in a rotating order; every stream checked to deliver all ${ARG_CHUNKS} argument deltas and the exact call. First delta: from the call to the first piece of arguments in the caller's hands (ours: a \`tool-call-delta\` chunk); whole stream: until the call is complete (ours: the \`tool-call\` chunk with parsed \`input\`; raw: the deltas joined and parsed). Medians; "added" is the difference of medians with (a).`,
    ],
  };
}
