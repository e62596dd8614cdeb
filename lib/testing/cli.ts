#!/usr/bin/env node
/**
 * Starts the fault server from the command line and keeps it up until SIGINT or SIGTERM.
 * Installed as the `llm-resilience-fault-server` command.
 *
 * @example
 * ```sh
 * npx llm-resilience-fault-server --port 8787
 * tsx lib/testing/cli.ts --port 8787
 * node dist/cjs/testing/cli.js --port 8787 --replies replies.json
 * ```
 * `--replies` names a JSON file of reply scripts by name: `{ "weather": { "toolCalls": [ … ] } }`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ReplyScript } from './script.js';
import { FaultServer } from './server.js';

const USAGE = `Usage: llm-resilience-fault-server [--port N] [--host HOST] [--replies FILE]

A local server speaking the OpenAI chat-completions and Anthropic messages wire formats,
with faults chosen per request by a model suffix (gpt-4o~status=503;fail_first=2) or an
x-fault header. Runs until SIGINT or SIGTERM.

Options:
  --port N        port to listen on (default 0: any free port)
  --host HOST     address to bind (default 127.0.0.1)
  --replies FILE  a JSON file of named reply scripts: { "weather": { "toolCalls": [ … ] } }
  -h, --help      show this help`;

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
      help: { type: 'boolean', short: 'h', default: false },
      replies: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    console.error(
      `--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}\n\n${USAGE}`,
    );
    process.exit(2);
  }
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
  console.error(`\n${USAGE}`);
  process.exit(1);
});
