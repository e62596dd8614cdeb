/**
 * Why the CPU a stack adds over loopback is several times what it adds in-process: the same
 * stacks' CPU per call over three transports, in one run —
 *
 * - in-process, answered at once (the figure held to the 30 µs target): every call runs hot;
 * - in-process, answered after a 1 ms timer: no socket, no server, but the process idles between
 *   calls, as it does waiting for a real server;
 * - loopback, to the fault server in its own process (section 1's CPU columns).
 *
 * Beside (a)–(d), the hand-written floor of (d) (bench/floor.ts): the work (d) must do, in one
 * function, so that what the layers cost beyond it shows.
 *
 *   npx tsx bench/cold.ts [--rounds=30] [--block=200]
 *
 * Not part of `npm run bench`; its figures are quoted in bench/RESULTS.md's notes.
 */
import { parseArgs } from 'node:util';
import { handWrittenFloor } from './floor.js';
import { cpuPerCall } from './overhead.js';
import { startFaultServer } from './server.js';
import { bare, fullChain, rawOpenAI, retryFallback, type Stack, type Upstream } from './stacks.js';
import { micros, renderTable } from './stats.js';
import { cannedFetch, idleFetch } from './transport.js';

const build = (up: Upstream): Stack[] => [
  rawOpenAI(up),
  handWrittenFloor(up),
  bare(up),
  retryFallback(up),
  fullChain(up),
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '30' }, block: { type: 'string', default: '200' } },
  });
  const rounds = Number(values.rounds);
  const block = Number(values.block);
  const server = await startFaultServer();
  const models = { primary: 'gpt-4o', fallback: 'gpt-4o-mini' };
  const transports: [string, Upstream][] = [
    ['in-process, at once', { baseURL: 'http://in-process.invalid/v1', ...models, fetch: cannedFetch }],
    ['in-process, after 1 ms idle', { baseURL: 'http://in-process.invalid/v1', ...models, fetch: idleFetch }],
    ['loopback (fault server)', { baseURL: server.openaiBaseURL, ...models }],
  ];
  const rows: string[][] = [];
  try {
    for (const [name, up] of transports) {
      const stacks = build(up);
      for (const s of stacks) for (let i = 0; i < block; i++) await s.ask(`warm-up ${i}`);
      const cpu = await cpuPerCall(stacks, rounds, block);
      for (const s of stacks) {
        rows.push([
          name,
          s.id === 'floor' ? s.label : `(${s.id}) ${s.label.split(':')[0]}`,
          micros(cpu.perCall(s.id)),
          s.id === 'a' ? '–' : micros(cpu.added(s.id, 'a')),
        ]);
      }
    }
  } finally {
    await server.close();
  }
  console.log(
    renderTable({
      title: 'CPU per call by transport: hot, idle between calls, loopback',
      headers: ['transport', 'stack', 'CPU µs/call', 'added vs (a)'],
      rows,
      notes: [
        `${rounds} rotating blocks of ${block} sequential calls per stack and transport; median block, and the median paired difference with (a) in the same round.`,
      ],
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
