// Packaging hygiene, as CI checks it: `npm pack` from a tree without dist/ (the `prepack` build must
// make it), then the tarball's contents, source maps, `sideEffects`, the `bin`, publint --strict
// (suggestions included) and Are The Types Wrong (every entry point, every resolution mode).
// Usage: node scripts/check-package.mjs [--keep DIR]   (--keep leaves the tarball in DIR)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const keepAt = process.argv.indexOf('--keep');
const outDir = keepAt > 0 ? process.argv[keepAt + 1] : mkdtempSync(join(tmpdir(), 'llmr-pack-'));
const problems = [];
const check = (ok, message) => {
  if (!ok) problems.push(message);
};

// 1. `npm pack` on a tree without dist/: the prepack build must produce it.
rmSync('dist', { recursive: true, force: true });
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
)[0];
const tarball = join(outDir, packed.filename);
const files = new Set(packed.files.map((f) => f.path));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
console.log(
  `packed ${packed.filename}: ${packed.entryCount} files, ${packed.size} B (${packed.unpackedSize} B unpacked)`,
);

for (const file of ['LICENSE', 'README.md', 'package.json', 'dist/cjs/index.js', 'dist/esm/index.js']) {
  check(files.has(file), `the tarball lacks ${file} (is the prepack build running?)`);
}
for (const file of files) {
  check(
    /^(dist\/|LICENSE$|README\.md$|CHANGELOG\.md$|package\.json$)/.test(file),
    `unexpected file in the tarball: ${file}`,
  );
}
for (const field of ['repository', 'homepage', 'bugs', 'keywords', 'license', 'engines']) {
  check(pkg[field] !== undefined, `package.json lacks "${field}"`);
}

// 2. Every source map carries its sources (we do not ship lib/), one per listed source.
let maps = 0;
for (const file of files) {
  if (!file.endsWith('.js.map')) continue;
  maps++;
  const map = JSON.parse(readFileSync(file, 'utf8'));
  check(
    Array.isArray(map.sourcesContent) &&
      map.sourcesContent.length === map.sources.length &&
      map.sourcesContent.every((s) => typeof s === 'string' && s.length > 0),
    `${file}: sourcesContent missing (set inlineSources in tsconfig.build.json)`,
  );
  check(files.has(file.replace(/\.map$/, '')), `${file}: no matching .js in the tarball`);
}
check(maps > 0, 'no source maps in the tarball');

// 3. sideEffects: `false`, or a list of real files (a renamed module must not silently lose its side
// effects). Step 5 bundles an app with it and runs the bundle.
check(
  pkg.sideEffects === false || Array.isArray(pkg.sideEffects),
  '"sideEffects" must be false or list the modules with side effects',
);
for (const entry of Array.isArray(pkg.sideEffects) ? pkg.sideEffects : []) {
  check(files.has(entry.replace(/^\.\//, '')), `"sideEffects" names ${entry}, which is not in the tarball`);
}

// 4. The bin: in the tarball, with a shebang, and its --help works.
for (const [name, target] of Object.entries(pkg.bin ?? {})) {
  const path = target.replace(/^\.\//, '');
  check(files.has(path), `bin ${name}: ${target} is not in the tarball`);
  check(
    readFileSync(path, 'utf8').startsWith('#!/usr/bin/env node'),
    `bin ${name}: ${target} lacks a shebang`,
  );
  const help = execFileSync(process.execPath, [path, '--help'], { encoding: 'utf8' });
  check(help.includes(`Usage: ${name}`), `bin ${name} --help printed no usage`);
}

// 5. A bundler (esbuild, as tsx ships it) honours `sideEffects`: an app using one provider with
// retry and a token limit bundles without either SDK or gpt-tokenizer (loaded only at run time, by
// a variable name), and the bundle runs: nothing it needs was dropped as side-effect free.
{
  const { build } = await import('esbuild');
  const outfile = join(outDir, 'bundle.mjs');
  // Resolved as an installed package (through its exports map), from a node_modules of its own.
  mkdirSync(join(outDir, 'node_modules'));
  symlinkSync(process.cwd(), join(outDir, 'node_modules', 'llm-resilience'));
  const result = await build({
    stdin: {
      contents: `import { OpenAILLM } from 'llm-resilience';
const llm = new OpenAILLM('gpt-4o', { apiKey: 'k' }).withRetry(2).withRateLimit({ tokensPerMinute: 1000 });
console.log(llm.describe());`,
      resolveDir: process.cwd(),
    },
    nodePaths: [join(outDir, 'node_modules')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].bytes;
  const leaked = inputs.filter((i) => /node_modules\/(openai|@anthropic-ai|gpt-tokenizer)\//.test(i));
  check(leaked.length === 0, `the bundle includes ${leaked.slice(0, 3).join(', ')}`);
  const ran = execFileSync(process.execPath, [outfile], { encoding: 'utf8' }).trim();
  check(/retry\(openai:gpt-4o/.test(ran), `the bundle did not run as expected: ${ran}`);
  console.log(
    `esbuild bundle of an OpenAILLM app: ${(bytes / 1024).toFixed(0)} KiB, ${inputs.length} modules, no SDK or tokenizer inside; runs: ${ran}`,
  );
}

// 6. publint --strict, every message (suggestions too).
const { messages } = await publint({
  strict: true,
  level: 'suggestion',
  pack: { tarball: readFileSync(tarball).buffer },
});
console.log(`publint --strict: ${messages.length === 0 ? 'no problems' : `${messages.length} message(s)`}`);
for (const message of messages) problems.push(`publint ${message.type}: ${formatMessage(message, pkg)}`);

// 7. Are The Types Wrong, on the same tarball.
try {
  const out = execFileSync(
    'npx',
    ['--no-install', 'attw', tarball, '--format', 'table-flipped', '--no-color'],
    {
      encoding: 'utf8',
    },
  );
  console.log(out.trim());
} catch (error) {
  console.log(String(error.stdout ?? '').trim());
  problems.push('attw reported problems (table above)');
}

if (keepAt < 0) rmSync(outDir, { recursive: true, force: true });
if (problems.length > 0) {
  console.error(`\ncheck-package: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('check-package: all green');
