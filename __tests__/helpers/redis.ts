/**
 * A real `redis-server` for tests: on a free loopback port, persistence off, in a scratch
 * directory; killable (SIGKILL, as a crash), pausable (SIGSTOP, as a hung server) and restartable
 * on the same port. Missing `redis-server` is a test failure with the one-line install command,
 * never a skip; jest's global setup (global-setup.ts) installs it first when it runs as root on
 * Debian/Ubuntu.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Kills it with `signal` (SIGKILL: a crash, nothing saved) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  /** Unfreezes it (SIGCONT). */
  resume(): void;
  /** Starts it again, empty, on the same port. */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  stop(): Promise<void>;
}

/** The command that installs `redis-server`, as the error tells it. */
export const INSTALL_REDIS = 'sudo apt-get install -y redis-server';

/** Where `redis-server` is: on PATH, or where the global setup found it after installing it. */
export function redisServerCommand(): string {
  return process.env.LLM_RESILIENCE_REDIS_SERVER ?? 'redis-server';
}

/** Whether `command --version` runs. */
export function runs(command: string): boolean {
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

/** Throws a clear error when `redis-server` cannot run here. */
export function requireRedisServer(): void {
  if (!runs(redisServerCommand())) {
    throw new Error(
      `redis-server is not installed: the Redis tests need it. Install it with: ${INSTALL_REDIS}  (macOS: brew install redis)`,
    );
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a fresh `redis-server` and resolves once it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  requireRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'llm-resilience-redis-'));
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      redisServerCommand(),
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    proc.stdout?.on('data', (data: Buffer) => (output += data.toString()));
    proc.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child = proc;
    const giveUpAt = Date.now() + 10_000;
    while (!(await pings(port))) {
      if (proc.exitCode !== null || Date.now() > giveUpAt) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server did not start on port ${port}: ${output.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGCONT'); // a paused server cannot exit on SIGTERM
    proc.kill(signal);
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    restart: launch,
    stop: async () => {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a Redis on `port` answers PING. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
