/**
 * Starts the fault server from the command line and keeps it up until SIGINT or SIGTERM.
 *
 * @example
 * ```sh
 * tsx lib/testing/cli.ts --port 8787
 * node dist/cjs/testing/cli.js --port 8787 --replies replies.json
 * ```
 * `--replies` names a JSON file of reply scripts by name: `{ "weather": { "toolCalls": [ … ] } }`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ReplyScript } from './script.js';
import { FaultServer } from './server.js';

async function loadReplies(path: string | undefined): Promise<Record<string, ReplyScript> | undefined> {
  if (path === undefined) return undefined;
  const value: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `\`--replies\` must name a JSON file holding an object of reply scripts, got ${path}`,
    );
  }
  return value as Record<string, ReplyScript>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      replies: { type: 'string' },
    },
  });
  const port = Number(values.port);
  const replies = await loadReplies(values.replies);
  const server = await FaultServer.start({ port, host: values.host, ...(replies ? { replies } : {}) });
  const names = Object.keys(replies ?? {});
  console.log(
    `fault server listening on ${server.url}${names.length > 0 ? ` (replies: ${names.join(', ')})` : ''}`,
  );
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
