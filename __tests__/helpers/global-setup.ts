/**
 * Runs once before the suite. On a fresh Debian/Ubuntu machine the Redis tests need `redis-server`:
 * when it is missing and we run as root, it is installed here with apt-get; otherwise nothing is
 * done, and the Redis tests fail with the one-line install command (helpers/redis.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
// No '.js': jest's moduleNameMapper does not apply to the global setup, plain require() does.
import { redisServerCommand, runs } from './redis';

/** Where the Debian package puts the binary (in case PATH lacks /usr/bin). */
const PACKAGE_BINARY = '/usr/bin/redis-server';

export default function globalSetup(): void {
  if (runs(redisServerCommand())) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !runs('apt-get')) return;
  console.log('\nredis-server is missing: installing it with apt-get (the Redis tests need it)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'],
  ]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      console.log(`apt-get ${args.join(' ')} failed (exit ${result.status}); the Redis tests will fail.`);
      return;
    }
  }
  if (!runs(redisServerCommand()) && existsSync(PACKAGE_BINARY)) {
    process.env.LLM_RESILIENCE_REDIS_SERVER = PACKAGE_BINARY; // installed, though not on this PATH
  }
  console.log(
    `redis-server: ${runs(redisServerCommand()) ? `installed (${redisServerCommand()})` : 'still missing'}`,
  );
}
