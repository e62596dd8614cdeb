/**
 * An A/B of two builds of the library in one process: the same stacks built from this checkout's
 * `dist/cjs` (B) and from another copy (A), called in rotating blocks beside the raw client, and
 * each stack's CPU per call in B minus A as the median over paired rounds — so that drift of the
 * machine between runs (which moves every figure here by several µs) cancels out.
 *
 *   cp -r dist /tmp/dist-before        # the build to compare against (e.g. before a change)
 *   npm run build                      # the build under test
 *   NODE_PATH=$PWD/node_modules npx tsx bench/ab.ts --base=/tmp/dist-before/cjs/index.js
 *   npx tsx bench/ab.ts --base=source  # the TypeScript source under tsx against the package
 *
 * Options: `--kinds=b,limit,cache,tel,d` (the stacks), `--rounds=30`, `--transport=loopback` (to
 * the fault server in its own process; in-process by default). Not part of `npm run bench`.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type * as Lib from '../lib/index.js';
import { BUILT, type Library, loadLibrary, SOURCE } from './lib.js';
import { cpuPerCall } from './overhead.js';
import { startFaultServer } from './server.js';
import {
  fullChainLLM,
  ours,
  provider,
  rawOpenAI,
  type Stack,
  UNBINDING_LIMITS,
  type Upstream,
} from './stacks.js';
import { micros } from './stats.js';
import { cannedFetch } from './transport.js';

const KINDS = ['b', 'limit', 'cache', 'tel', 'd'] as const;
type Kind = (typeof KINDS)[number];

/** One stack of `kind` built from `lib`: bare, one layer, or the full chain (d) of bench/stacks.ts. */
function chain(lib: Library, up: Upstream, kind: Kind): Lib.LLM {
  const bare = provider(up, up.primary, {}, lib);
  switch (kind) {
    case 'b':
      return bare;
    case 'limit':
      return bare.withRateLimit(new lib.RateLimiter(UNBINDING_LIMITS));
    case 'cache':
      return bare.withCache({ maxEntries: 1000 });
    case 'tel':
      return bare.withTelemetry(new lib.Telemetry());
    case 'd':
      return fullChainLLM(up, {}, true, lib);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      kinds: { type: 'string', default: KINDS.join(',') },
      rounds: { type: 'string', default: '30' },
      transport: { type: 'string', default: 'in-process' },
    },
  });
  if (values.base === undefined) throw new TypeError('--base is required: a dist/cjs/index.js, or "source"');
  const kinds = values.kinds.split(',') as Kind[];
  for (const k of kinds) if (!KINDS.includes(k)) throw new RangeError(`--kinds: unknown stack ${k}`);
  const loopback = values.transport === 'loopback';
  const a = loadLibrary(values.base === 'source' ? SOURCE : resolve(values.base));
  const b = loadLibrary(BUILT);
  const server = loopback ? await startFaultServer() : undefined;
  const models = { primary: 'gpt-4o', fallback: 'gpt-4o-mini' };
  const up: Upstream = server
    ? { baseURL: server.openaiBaseURL, ...models }
    : { baseURL: 'http://in-process.invalid/v1', ...models, fetch: cannedFetch };
  try {
    const stacks: Stack[] = [
      rawOpenAI(up),
      ...kinds.flatMap((k) => [ours(`A:${k}`, k, chain(a, up, k)), ours(`B:${k}`, k, chain(b, up, k))]),
    ];
    for (const s of stacks) for (let i = 0; i < 500; i++) await s.ask(`warm-up ${i}`);
    const cpu = await cpuPerCall(stacks, Number(values.rounds), loopback ? 100 : 250);
    console.log('stack   A added  B added  B − A (µs CPU per call, median of paired rounds)');
    for (const k of kinds) {
      const cells = [cpu.added(`A:${k}`, 'a'), cpu.added(`B:${k}`, 'a'), cpu.added(`B:${k}`, `A:${k}`)];
      console.log(`${k.padEnd(6)} ${cells.map((c) => micros(c).padStart(8)).join(' ')}`);
    }
  } finally {
    await server?.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
