import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The benchmark is not a test; this only checks that it still starts and runs every section
// (`npm run bench:smoke`: tiny counts, prints, leaves bench/RESULTS.md as it is).
describe('npm run bench:smoke', () => {
  it('runs every section of the benchmark with tiny counts', () => {
    const root = join(__dirname, '..');
    const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
    const result = spawnSync(process.execPath, [tsx, 'bench/run.ts', '--quick'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    if (result.status !== 0)
      throw new Error(
        `bench smoke failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
      );
    expect(result.stdout).toContain('1. Overhead');
    expect(result.stdout).toContain('Tool-call reply: ask');
    expect(result.stdout).toMatch(/\(d\) ours, full chain, same tool/);
    expect(result.stdout).toContain('2. Streaming');
    expect(result.stdout).toContain('Tool-call reply: stream');
    expect(result.stdout).toContain('3. Goodput');
    expect(result.stdout).toContain('5. Hedged requests');
    expect(result.stdout).toContain('RESULTS.md left as it is');
  }, 180_000);
});
