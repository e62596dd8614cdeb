/**
 * Where a stack's CPU goes: runs many calls of one stack over the in-process transport under
 * the V8 sampling profiler (node:inspector) and prints the functions with the most self time,
 * with their file and line, and the total per file.
 *
 *   npx tsx bench/profile.ts --stack=d --calls=50000 [--out=/tmp/d.cpuprofile] [--top=30]
 *   npx tsx bench/profile.ts --stack=d --calls=20000 --transport=loopback   # over HTTP to the fault server
 *
 * `--transport=loopback` talks to the fault server in its own process (as section 1's loopback
 * rows), so what a real response adds (its headers, undici's socket work) is in the profile too.
 *
 * Stacks: a (raw openai), b (OpenAILLM bare), c (retry + fallback), d (full chain).
 *
 * Like the benchmark, it runs the built package (bench/lib.ts: build first), so frames show
 * `dist/cjs/…` lines; `BENCH_SOURCE=1` profiles the TypeScript source, mapped to its lines.
 */
import { writeFileSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import { Session, type Profiler } from 'node:inspector';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bare, fullChain, rawOpenAI, retryFallback, type Stack, type Upstream } from './stacks.js';
import { startFaultServer } from './server.js';
import { cannedFetch } from './transport.js';

const BUILD: Record<string, (up: Upstream) => Stack> = {
  a: rawOpenAI,
  b: bare,
  c: retryFallback,
  d: fullChain,
};

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

/** A frame's source file and 1-based line, through the source map tsx registers for our .ts files. */
function original(frame: Profiler.ProfileNode['callFrame']): { file: string; line: number } {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return { file: '(native)', line: 0 };
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const entry: object | undefined = url.endsWith('.ts')
    ? findSourceMap(url)?.findEntry(lineNumber, columnNumber)
    : undefined;
  const mapped =
    entry !== undefined && 'originalLine' in entry ? (entry as { originalLine: number }) : undefined;
  return {
    file: path.startsWith('/') ? relative(process.cwd(), path) : path,
    line: (mapped ? mapped.originalLine : lineNumber) + 1,
  };
}

/** Self time per function (and per file), in ms, from a sampled profile. */
function selfTimes(profile: Profiler.Profile) {
  const dt = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const t = dt.get(node.id) ?? 0;
    if (t === 0) continue;
    const { functionName } = node.callFrame;
    const { file, line } = original(node.callFrame);
    const fn = `${functionName || '(anonymous)'}  ${file}:${line}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
    byFile.set(file, (byFile.get(file) ?? 0) + t);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { byFn: sorted(byFn), byFile: sorted(byFile) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: 'string', default: 'd' },
      calls: { type: 'string', default: '50000' },
      out: { type: 'string' },
      top: { type: 'string', default: '30' },
      transport: { type: 'string', default: 'in-process' },
    },
  });
  if (values.transport !== 'in-process' && values.transport !== 'loopback') {
    throw new RangeError(`--transport must be in-process or loopback, got ${values.transport}`);
  }
  const build = BUILD[values.stack];
  if (!build) throw new RangeError(`--stack must be one of ${Object.keys(BUILD).join(', ')}`);
  const server = values.transport === 'loopback' ? await startFaultServer() : undefined;
  const stack = build(
    server
      ? { baseURL: server.openaiBaseURL, primary: 'gpt-4o', fallback: 'gpt-4o-mini' }
      : {
          baseURL: 'http://in-process.invalid/v1',
          primary: 'gpt-4o',
          fallback: 'gpt-4o-mini',
          fetch: cannedFetch,
        },
  );
  const calls = Number(values.calls);
  for (let i = 0; i < 2000; i++) await stack.ask(`warm-up ${i}`);

  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
  await post(session, 'Profiler.start');
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) await stack.ask(`Profiled prompt ${i}`);
  const used = process.cpuUsage(cpu);
  const { profile } = await post<{ profile: Profiler.Profile }>(session, 'Profiler.stop');
  session.disconnect();
  await server?.close();
  if (values.out) writeFileSync(values.out, JSON.stringify(profile));

  const { byFn, byFile } = selfTimes(profile);
  const total = byFn.reduce((a, [, t]) => a + t, 0);
  const top = Number(values.top);
  const line = ([name, t]: [string, number]) =>
    `${((t / total) * 100).toFixed(1).padStart(5)} %  ${((t * 1000) / calls).toFixed(2).padStart(7)} µs/call  ${name}`;
  console.log(
    `${stack.label}, ${values.transport}\n${calls} calls, ${((used.user + used.system) / calls).toFixed(1)} µs CPU per call\n`,
  );
  console.log(`self time by function (top ${top}):`);
  byFn.slice(0, top).forEach((e) => console.log(line(e)));
  console.log('\nself time by file (top 25):');
  byFile.slice(0, 25).forEach((e) => console.log(line(e)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
