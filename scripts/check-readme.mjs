// Type-checks every ```ts block of README.md against the built package (dist/, through the exports
// map, imported by its name), once under `module: nodenext` and once under `moduleResolution: bundler`.
//
// A block must compile as written. What a reader would already have (a logger, an `llm` built in an
// earlier block) can go in a hidden HTML comment right before the block:
//   <!-- ts-prelude
//   declare const llm: LLM;
//   -->
// applies to the next ```ts block only; `<!-- ts-prelude-all … -->` to every later block. Each block
// is its own ES module (top-level await works). Errors point at README.md lines.
// Usage: node scripts/check-readme.mjs [README.md]   (run `npm run build` first)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const repo = join(import.meta.dirname, '..');
const readmePath = process.argv[2] ?? join(repo, 'README.md');
const lines = readFileSync(readmePath, 'utf8').split('\n');
if (!existsSync(join(repo, 'dist/esm/index.d.ts'))) {
  console.error('check-readme: dist/ is missing; run `npm run build` first');
  process.exit(1);
}

/** Every ts block, with its prelude lines and where its first line is in README.md (1-based). */
const blocks = [];
const preludeAll = [];
let prelude = [];
let heading = '(top)';
for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
  const comment =
    /^<!--\s*ts-prelude(-all)?\s*$/.exec(line.trim()) ??
    /^<!--\s*ts-prelude(-all)?\s+(.*?)\s*-->$/.exec(line.trim());
  if (comment) {
    const body = [];
    if (comment[2] !== undefined)
      body.push(comment[2]); // one-line form: <!-- ts-prelude code -->
    else {
      for (i++; i < lines.length && !lines[i].trim().startsWith('-->'); i++) body.push(lines[i]);
      if (i >= lines.length) throw new Error(`${readmePath}: unclosed ts-prelude comment`);
    }
    if (comment[1]) preludeAll.push(...body);
    else prelude = body;
    continue;
  }
  const fence = /^(\s*)(`{3,})(ts|typescript)\s*$/.exec(line);
  if (fence) {
    const code = [];
    const start = i + 2;
    for (i++; i < lines.length && lines[i].trim() !== fence[2]; i++)
      code.push(lines[i].slice(fence[1].length));
    blocks.push({ start, heading, code, prelude: [...preludeAll, ...prelude] });
    prelude = [];
  } else if (line.trim() !== '' && prelude.length > 0 && !line.trim().startsWith('<!--')) {
    // A prelude belongs to the block right after it; text in between is a README mistake.
    console.error(`${readmePath}:${i + 1}: a ts-prelude comment must come right before a \`\`\`ts block`);
    process.exit(1);
  }
}

// Inside the repository, so `llm-resilience` resolves to this package (exports self-reference)
// and other imports (ioredis, pino) to its node_modules; `.mts`: each block is an ES module.
const dir = join(repo, '.readme-check');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
const files = blocks.map((block, n) => {
  const file = join(dir, `block-${String(n + 1).padStart(2, '0')}.mts`);
  writeFileSync(file, [...block.prelude, ...block.code, 'export {};', ''].join('\n'));
  return { ...block, file, offset: block.prelude.length };
});

const MODES = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};
let failed = 0;
for (const [mode, options] of Object.entries(MODES)) {
  const tsconfig = join(dir, `tsconfig.${mode}.json`);
  const compilerOptions = {
    ...options,
    target: 'es2022',
    lib: ['es2023', 'dom'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  };
  writeFileSync(
    tsconfig,
    JSON.stringify({ compilerOptions, files: files.map((f) => relative(dir, f.file)) }),
  );
  const result = spawnSync(
    process.execPath,
    [join(repo, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--pretty', 'false'],
    {
      encoding: 'utf8',
    },
  );
  const errors = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const bad = new Set();
  for (const error of errors) {
    const match = /^(.*?\.mts)\((\d+),(\d+)\): (.*)$/.exec(error);
    const block = match && files.find((f) => f.file.endsWith(match[1].split('/').pop()));
    if (!block) {
      console.error(`[${mode}] ${error}`);
      continue;
    }
    bad.add(block);
    const line = Number(match[2]);
    const where =
      line > block.offset
        ? `${relative(process.cwd(), readmePath)}:${block.start + line - block.offset - 1}`
        : `${relative(process.cwd(), readmePath)}:${block.start - 1} (in its ts-prelude, line ${line})`;
    console.error(`[${mode}] ${where} (block ${files.indexOf(block) + 1}, "${block.heading}"): ${match[4]}`);
  }
  if (result.status !== 0) failed++;
  console.log(
    `[${mode}] ${files.length - bad.size} of ${files.length} README ts blocks type-check${result.status === 0 ? '' : ` (${bad.size} fail)`}`,
  );
}
if (failed === 0) rmSync(dir, { recursive: true, force: true });
process.exit(failed === 0 ? 0 : 1);
