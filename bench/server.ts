/**
 * The fault server in a process of its own (so its work does not share our event loop):
 * spawns `lib/testing/cli.ts` under tsx and reads its port from the line it prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface FaultServerProcess {
  /** `http://127.0.0.1:PORT/v1`, for OpenAI-compatible clients. */
  readonly openaiBaseURL: string;
  /** Forgets the server's hit log, so it does not grow across sections. */
  resetHits(): Promise<void>;
  close(): Promise<void>;
}

const ROOT = resolve(__dirname, '..');

export function startFaultServer(): Promise<FaultServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/testing/cli.ts', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`fault server did not start: ${out}`)), 30_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill();
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`fault server exited with ${code}: ${out}`)));
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolvePromise(handle(child, match[1]!));
    });
  });
}

function handle(child: ChildProcess, url: string): FaultServerProcess {
  return {
    openaiBaseURL: `${url}/v1`,
    async resetHits() {
      // Housekeeping only: a pooled socket the server closed while idle fails once; try again, then let it be.
      for (let i = 0; i < 3; i++) {
        try {
          await fetch(`${url}/_fault/hits`, { method: 'DELETE' });
          return;
        } catch {
          continue;
        }
      }
    },
    close() {
      return new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    },
  };
}
