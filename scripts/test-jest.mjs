// The jest step of `npm test`. Most suites run in parallel; the real-time ones run after them, one at
// a time: several processes sharing Redis, Redis killed and frozen mid-run, and the benchmark smoke
// test (which loads the CPU). On two cores, running those beside the others slowed Redis answers past
// the workers' store timeout and turned a shared-state scenario into a local one (a red CI run).
// Arguments (`npm test -- retry`) run jest once, with them, as usual.
import { spawnSync } from 'node:child_process';

const SERIAL = ['redis-processes', 'redis-store', 'redis-cache', 'bench-smoke'].map(
  (name) => `__tests__/${name}\\.test\\.ts$`,
);
const jest = (args) =>
  spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', ...args], { stdio: 'inherit' }).status ?? 1;

const extra = process.argv.slice(2);
if (extra.length > 0) process.exit(jest(extra));
const parallel = jest(['--testPathIgnorePatterns', ...SERIAL]);
const serial = jest(['--runInBand', ...SERIAL]);
process.exit(parallel || serial);
