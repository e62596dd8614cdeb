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

/** A copy of the library: this one, or another build. */
export type Library = typeof Lib;

/** The TypeScript source (run under tsx) and the built package, by path. */
export const SOURCE = resolve(__dirname, '../lib/index.js');
export const BUILT = resolve(__dirname, '../dist/cjs/index.js');

/** Loads a copy of the library by path, at run time (the stacks are built at import time). */
export function loadLibrary(path: string): Library {
  if (path === BUILT && !existsSync(BUILT)) {
    throw new Error(
      'bench: dist/cjs is missing: run `npm run build` (or set BENCH_SOURCE=1 to run the source)',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as Library;
}

/** The library under test, as one object (bench/ab.ts builds the same stacks from another copy). */
export const library = loadLibrary(process.env.BENCH_SOURCE === '1' ? SOURCE : BUILT);

export const { createEventBus, OpenAILLM, RateLimiter, route, Telemetry } = library;
export type OpenAILLM = Lib.OpenAILLM;
export type RateLimiter = Lib.RateLimiter;
export type Telemetry = Lib.Telemetry;
export type { InterruptMode, LLM, ToolSpec } from '../lib/index.js';
