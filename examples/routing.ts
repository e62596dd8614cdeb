/**
 * Routing and hedged requests: `npx tsx examples/routing.ts`.
 *
 * `route()` over an OpenAI model and an Anthropic one, against the local fault server (no keys
 * needed). One request in 25 to the primary waits 2 s before its first chunk; with
 * `hedge: { after: 'p95' }` the backup is started once the primary is slower than its own recent
 * p95, and whichever sends a first chunk first wins. Prints each slow call's outcome, the
 * telemetry, and what `explain()` says the chain can cost at most.
 */
import { AnthropicLLM, OpenAILLM, route, Telemetry } from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';

async function main(): Promise<void> {
  const server = await FaultServer.start();
  try {
    let n = 0;
    // One primary request in 25 stalls 2 s before its first chunk (the fault server's `first_chunk_delay`).
    const stalling: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      if (++n % 25 === 0) headers.set('x-fault', 'first_chunk_delay=2000');
      return fetch(input, { ...init, headers });
    };
    const primary = new OpenAILLM('gpt-4o', { apiKey: 'x', baseURL: server.openaiBaseURL, fetch: stalling });
    const backup = new AnthropicLLM('claude-haiku-4-5', { apiKey: 'x', baseURL: server.anthropicBaseURL });
    const telemetry = new Telemetry();
    const llm = route([primary.withCircuitBreaker(), backup], {
      hedge: { after: 'p95' },
    }).withTelemetry(telemetry);
    console.log(llm.describe());

    for (let i = 1; i <= 100; i++) {
      const started = performance.now();
      const stream = llm.stream(`Question ${i}`);
      let firstChunkMs = NaN;
      for await (const _ of stream)
        if (Number.isNaN(firstChunkMs)) firstChunkMs = performance.now() - started;
      const reply = await stream.finalReply();
      if (reply.attempts.length > 1 || firstChunkMs > 1_000) {
        const attempts = reply.attempts.map(
          (a) => `${a.model}:${a.outcome}${a.error ? ` (${(a.error as Error).name})` : ''}`,
        );
        console.log(
          `call ${i}: first chunk after ${firstChunkMs.toFixed(0)} ms from ${reply.model}; ${attempts.join(', ')}`,
        );
      }
    }
    const { requests, attempts, hedges, hedgeWins, routes } = telemetry.getMetrics();
    console.log(JSON.stringify({ requests, attempts, hedges, hedgeWins, routes }, null, 2));
    const { maxRequests, tree } = llm.explain({ timeout: 30_000 });
    console.log(`explain(): at most ${maxRequests} requests per call (${tree.children[0]?.formula})`);
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
