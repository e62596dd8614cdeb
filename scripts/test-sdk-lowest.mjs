// Runs the wire tests against the lowest supported major of each SDK (openai 6, @anthropic-ai/sdk 0.x)
// through jest's moduleNameMapper (see jest.config.js); `npm test` covers the highest (openai 7, 1.x).
// sdk-versions.test.ts asserts which copies were really loaded and prints their versions.
import { spawnSync } from 'node:child_process';

const WIRE_TESTS = [
  'sdk-versions',
  'wire-faults',
  'chain-wire',
  'guards-wire',
  'providers',
  'stream',
  'secrets',
  'credentials',
  'aimock',
  'health',
  'errors',
];
const result = spawnSync(
  process.execPath,
  ['node_modules/jest/bin/jest.js', '-w', '1', ...WIRE_TESTS.map((name) => `__tests__/${name}.test.ts`)],
  { stdio: 'inherit', env: { ...process.env, SDK_OPENAI: '6', SDK_ANTHROPIC: '0' } },
);
process.exit(result.status ?? 1);
