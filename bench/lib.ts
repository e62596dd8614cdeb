/**
 * The library as the benchmark runs it: the built package (`dist/cjs`, what `npm install`
 * gives an app), so that the figures are those of the code users run. Under tsx, importing
 * `lib/` would run the TypeScript source as tsx compiles it, with esbuild's `keepNames` helper
 * renaming every named closure on each call — a cost no installed copy has.
 *
 * `npm run bench` builds first. `BENCH_SOURCE=1` runs the source instead (to measure a change
 * without building). Types come from the source either way (the same code).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as Lib from '../lib/index.js';

function load(): typeof Lib {
  // A synchronous load, chosen at run time (the stacks are built at import time).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (process.env.BENCH_SOURCE === '1') return require('../lib/index.js') as typeof Lib;
  const built = resolve(__dirname, '../dist/cjs/index.js');
  if (!existsSync(built)) {
    throw new Error(
      'bench: dist/cjs is missing: run `npm run build` (or set BENCH_SOURCE=1 to run the source)',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(built) as typeof Lib;
}

const lib = load();

export const { createEventBus, OpenAILLM, RateLimiter, route, Telemetry } = lib;
export type OpenAILLM = Lib.OpenAILLM;
export type RateLimiter = Lib.RateLimiter;
export type Telemetry = Lib.Telemetry;
export type { InterruptMode, LLM, ToolSpec } from '../lib/index.js';
