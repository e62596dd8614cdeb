// Builds dist/cjs (CommonJS) and dist/esm (ES modules), each with type declarations.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = (args) =>
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc(['-p', 'tsconfig.build.json']);
tsc([
  '-p',
  'tsconfig.build.json',
  '--module',
  'ES2022',
  '--moduleResolution',
  'Bundler',
  '--outDir',
  'dist/esm',
]);
for (const [dir, type] of [
  ['dist/cjs', 'commonjs'],
  ['dist/esm', 'module'],
]) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type }) + '\n');
}
