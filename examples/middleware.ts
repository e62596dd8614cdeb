/**
 * Your own layers: `npx tsx examples/middleware.ts`.
 *
 * A PII redactor and a length-based router, written as middleware (the README's example), on a
 * chain with a retry, run against the local fault server (no keys needed). Prints the chain, who
 * answered each prompt, every request body as it went over the wire (redacted on every retried
 * attempt), and what `explain()` says about the README's headline chain.
 */
import { AnthropicLLM, type LLM, type LLMMiddleware, type LLMRequest, OpenAILLM } from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';

// --- the README's example -------------------------------------------------------------------
const redactPII: LLMMiddleware = {
  name: 'redact',
  transformRequest: (req) => ({
    ...req,
    messages: req.messages.map((m) => ({
      ...m,
      content: m.content
        .replace(/[\w.+-]+@[\w-]+\.[\w.]+/g, '[email]')
        .replace(/\b\d{3}-\d{2}-\d{4}\b/g, '[ssn]'),
    })),
  }),
};

const byLength = (long: LLM, maxChars: number): LLMMiddleware => {
  const isLong = (req: LLMRequest) => req.messages.reduce((n, m) => n + m.content.length, 0) > maxChars;
  return {
    name: 'route',
    routes: [long], // healthCheck(), telemetry and explain() see it
    wrapAsk: (req, next, call) => (isLong(req) ? call.via(long).ask(req) : next(req)),
    wrapStream: (req, next, call) => (isLong(req) ? call.via(long).stream(req) : next(req)),
  };
};
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const server = await FaultServer.start();
  const wire: string[] = [];
  const spy = (label: string): typeof fetch => {
    return (input, init) => {
      if (typeof init?.body === 'string') {
        const body = JSON.parse(init.body) as { messages: { content: string }[] };
        wire.push(`${label}: ${JSON.stringify(body.messages.at(-1)?.content)}`);
      }
      return fetch(input, init);
    };
  };
  try {
    const short = new OpenAILLM('gpt-4o-mini', {
      apiKey: 'x',
      baseURL: server.openaiBaseURL,
      timeout: 15_000,
      fetch: spy('gpt-4o-mini'),
    });
    // The long model overloads once (a 529), so the retry shows every attempt redacted.
    const long = new AnthropicLLM('claude-sonnet-4-5~status=529;fail_first=1', {
      apiKey: 'x',
      baseURL: server.anthropicBaseURL,
      timeout: 60_000,
      fetch: spy('claude-sonnet-4-5'),
    });
    const llm = short.use(byLength(long, 80)).withRetry({ maxRetries: 2, initialDelay: 50 }).use(redactPII);
    console.log(`chain: ${llm.describe()}\n`);

    const prompts = [
      'Email jane.doe@example.com a one-line status.',
      'Summarise the case of client 123-45-6789 (reach them at j.roe@corp.example) in three careful paragraphs.',
    ];
    for (const prompt of prompts) {
      wire.length = 0;
      const reply = await llm.ask(prompt);
      console.log(
        `prompt (${prompt.length} chars) → answered by ${reply.model}: ${JSON.stringify(reply.text)}`,
      );
      console.log(`  attempts: ${reply.attempts.map((a) => `${a.model} ${a.outcome}`).join(', ')}`);
      for (const line of wire) console.log(`  on the wire → ${line}`);
    }
    const health = await llm.healthCheck({ timeout: 5_000 });
    console.log(`\nhealthCheck: ${health.map((h) => `${h.llm} ${h.reachable ? 'up' : 'down'}`).join(', ')}`);

    // explain() of the README's headline chain.
    const headline = new OpenAILLM('gpt-4o', { apiKey: 'x', timeout: 30_000 })
      .withRetry({ maxRetries: 3, backoffStrategy: 'jitter' })
      .withFallbacks([
        new OpenAILLM('gpt-4o-mini', { apiKey: 'x' }).withRetry(2),
        new AnthropicLLM('claude-haiku-4-5', { apiKey: 'x' }),
      ]);
    const { tree, ...figures } = headline.explain();
    console.log(`\n${headline.describe()}.explain():`, figures);
    console.log(
      '  with { deadline: 120_000 }:',
      (({ tree: _, ...f }) => f)(headline.explain({ deadline: 120_000 })),
    );
    console.log(
      '  tree:',
      JSON.stringify(tree, (k, v: unknown) => (v === Infinity ? 'Infinity' : v), 2),
    );
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
