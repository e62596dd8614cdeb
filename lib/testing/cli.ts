/**
 * Starts the fault server from the command line and keeps it up until SIGINT or SIGTERM.
 *
 * @example
 * ```sh
 * tsx lib/testing/cli.ts --port 8787
 * node dist/cjs/testing/cli.js --port 8787
 * ```
 */
import { parseArgs } from 'node:util';
import { FaultServer } from './server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  const server = await FaultServer.start({ port, host: values.host });
  console.log(`fault server listening on ${server.url}`);
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
