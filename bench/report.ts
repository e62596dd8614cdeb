/** The machine and versions a run was made on, and RESULTS.md. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { resolve } from 'node:path';
import { renderTable, type SectionResult, type Table } from './stats.js';

const ROOT = resolve(__dirname, '..');

const PACKAGES = [
  'openai',
  '@anthropic-ai/sdk',
  '@langchain/openai',
  '@langchain/core',
  'ai',
  '@ai-sdk/openai',
  'p-retry',
  'mitt',
  'lru-cache',
  'gpt-tokenizer',
  'js-tiktoken',
  'tsx',
] as const;

function versionOf(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '?';
  } catch {
    return 'not installed';
  }
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: ROOT })
      .toString()
      .trim();
    return dirty ? `${sha} + uncommitted changes in lib/` : sha;
  } catch {
    return 'unknown';
  }
}

/** `startLoad`: the 1-minute load average when the run began (other work on the machine skews every figure). */
export function environment(startLoad: number): Table {
  const cpu = cpus();
  const own = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    title: 'Machine and versions',
    headers: ['what', 'value'],
    rows: [
      ['CPU', `${cpu[0]?.model.trim() ?? '?'}`],
      ['cores', String(cpu.length)],
      ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['OS', `${osType()} ${release()}`],
      ['load average (1 min) at start / end', `${startLoad.toFixed(2)} / ${loadavg()[0]!.toFixed(2)}`],
      ['Node.js', `${process.version} (undici ${process.versions.undici ?? '?'}, V8 ${process.versions.v8})`],
      ['llm-resilience', `${own.version} (${commit()})`],
      ...PACKAGES.map((p) => [p, versionOf(p)]),
    ],
    notes: [
      'The fault server runs in a separate Node.js process on 127.0.0.1 (same machine, same cores).',
      '`@langchain/openai`, `ai` and `@ai-sdk/openai` declare Node ≥ 22; they install with an engine warning and run on this Node 20.',
    ],
  };
}

export function render(sections: readonly SectionResult[], env: Table, header: string): string {
  const targets = sections.flatMap((s) => s.targets);
  const summary: Table = {
    title: 'Targets',
    headers: ['target', 'goal', 'measured', 'met'],
    rows: targets.map((t) => [t.name, t.goal, t.measured, t.met ? 'yes' : '**no**']),
  };
  const body = sections.map((s) => [`### ${s.title}`, ...s.tables.map(renderTable)].join('\n\n'));
  return [header, renderTable(summary), ...body, `### Environment`, renderTable(env), ''].join('\n\n');
}

export function writeResults(text: string): string {
  const path = resolve(ROOT, 'bench', 'RESULTS.md');
  writeFileSync(path, text);
  return path;
}
