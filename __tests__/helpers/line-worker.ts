import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** A child process running a worker script under tsx, answering one JSON line at a time on stdout. */
export interface LineWorker {
  readonly child: ChildProcess;
  /** The next line the worker writes; rejects, naming the worker and its stderr, if it exits first. */
  next(): Promise<string>;
}

/** Starts `__tests__/workers/<script>` with `config` as its argument; `label` names it in errors. */
export function startLineWorker(script: string, config: unknown, label: string): LineWorker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'workers', script), JSON.stringify(config)],
    { cwd: join(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const waiting: { resolve(line: string): void; reject(error: Error): void }[] = [];
  let buffer = '';
  let err = '';
  child.stdout!.on('data', (data: Buffer) => {
    buffer += data.toString();
    for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(line);
      else lines.push(line);
    }
  });
  child.stderr!.on('data', (data: Buffer) => (err += data.toString()));
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${label} exited (${code}): ${err}`));
  });
  return {
    child,
    next: () => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (child.exitCode !== null) return Promise.reject(new Error(`${label} exited: ${err}`));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}
