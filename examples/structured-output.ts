/**
 * A typed, validated answer that survives an overloaded primary: `npm run example:structured`.
 *
 * `ask(input, { schema })` with a zod 4 schema: the model is asked for JSON following the schema
 * (OpenAI `response_format: json_schema`, strict where the schema allows; Anthropic its native
 * structured output or a forced tool), the answer is validated by zod and `reply.object` is typed
 * from the schema. The primary (Anthropic) answers 529 Overloaded to every request, so each call
 * is retried once and falls back to OpenAI. `choices` and `stream(…, { schema })` go the same way.
 *
 * By default everything runs against the local fault server (no keys needed). With `--live` the
 * same calls go to the real providers (OPENAI_API_KEY, ANTHROPIC_API_KEY); there the primary is
 * healthy, so no fallback is expected.
 */
import { z } from 'zod';
import {
  AnthropicLLM,
  type Attempt,
  describeError,
  type LLM,
  OpenAILLM,
  StructuredOutputError,
} from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';

const Forecast = z
  .object({
    city: z.string(),
    celsius: z.number(),
    sky: z.enum(['clear', 'cloudy', 'rain', 'snow']),
    advice: z.string().describe('One short sentence of advice'),
  })
  .meta({ title: 'Forecast' });

interface Endpoints {
  /** The chain whose fallback answers with the named reply script (local), or the real chain (live). */
  chain(reply: string): LLM;
  /** Local only: how the last request to each provider asked for the schema, as sent on the wire. */
  wire?(): string;
  close(): Promise<void>;
}

async function local(): Promise<Endpoints> {
  const server = await FaultServer.start({
    replies: {
      forecast: { json: { city: 'Oslo', celsius: 3, sky: 'cloudy', advice: 'Take a coat.' } },
      choice: { json: { choice: 'coat' } },
      // Valid JSON that fails the schema: `sky` is not one of its words.
      wrong: { json: { city: 'Oslo', celsius: 3, sky: 'purple', advice: 'Hm.' } },
    },
  });
  console.log(`fault server listening on ${server.url}`);
  // Every request to the primary is answered 529 Overloaded.
  const primary = new AnthropicLLM('claude-haiku-4-5~status=529', {
    apiKey: 'example',
    baseURL: server.anthropicBaseURL,
  });
  return {
    chain: (reply) =>
      withFallback(
        primary,
        new OpenAILLM(`gpt-4o-mini~reply=${reply}`, { apiKey: 'example', baseURL: server.openaiBaseURL }),
      ),
    wire: () => {
      const last = (provider: 'openai' | 'anthropic') =>
        server
          .hits()
          .filter((hit) => hit.provider === provider)
          .at(-1)?.body ?? {};
      const { response_format } = last('openai');
      const { tools, tool_choice, output_config } = last('anthropic');
      return [
        `  openai response_format: ${JSON.stringify(response_format)}`,
        `  anthropic: ${JSON.stringify({ tools, tool_choice, output_config })}`,
      ].join('\n');
    },
    close: () => server.close(),
  };
}

function live(): Endpoints {
  if (!process.env.OPENAI_API_KEY || !process.env.ANTHROPIC_API_KEY) {
    throw new Error('--live needs OPENAI_API_KEY and ANTHROPIC_API_KEY in the environment');
  }
  const llm = withFallback(
    new AnthropicLLM('claude-haiku-4-5', { timeout: 30_000, maxTokens: 500 }),
    new OpenAILLM('gpt-4o-mini', { timeout: 30_000 }),
  );
  return { chain: () => llm, close: async () => {} };
}

function withFallback(primary: LLM, fallback: LLM): LLM {
  return primary.withRetry({ maxRetries: 1, initialDelay: 100 }).withFallbacks([fallback], {
    onFallback: (error, next) => console.log(`  falling back to ${next.describe()}: ${describeError(error)}`),
  });
}

function history(attempts: readonly Attempt[]): string {
  return attempts
    .map((a) => `${a.provider}:${a.model} ${a.outcome === 'success' ? 'ok' : describeError(a.error)}`)
    .join(' → ');
}

async function main(): Promise<void> {
  const endpoints = process.argv.includes('--live') ? live() : await local();
  try {
    console.log('\n1. ask with a zod schema');
    const reply = await endpoints.chain('forecast').ask('The weather in Oslo, as a forecast', {
      schema: Forecast,
      deadline: 30_000,
    });
    // `reply.object` is typed from the schema: { city: string; celsius: number; sky: …; advice: string }
    console.log(`  attempts: ${history(reply.attempts)}`);
    console.log(`  object: ${JSON.stringify(reply.object)}`);
    console.log(
      `  ${reply.object.city}: ${reply.object.celsius} °C, ${reply.object.sky}. ${reply.object.advice}`,
    );
    if (endpoints.wire) console.log(`  on the wire:\n${endpoints.wire()}`);

    console.log('\n2. ask with choices');
    const pick = await endpoints.chain('choice').ask('Oslo is 3 °C today: coat, jacket or t-shirt?', {
      choices: ['coat', 'jacket', 't-shirt'],
      deadline: 30_000,
    });
    console.log(`  attempts: ${history(pick.attempts)}`);
    console.log(`  choice: ${pick.choice}`);

    console.log('\n3. stream with a zod schema');
    const stream = endpoints.chain('forecast').stream('The weather in Oslo, as a forecast', {
      schema: Forecast,
      deadline: 30_000,
    });
    let shown = false;
    for await (const chunk of stream) {
      if (!shown) process.stdout.write('  streamed text: ');
      shown = true;
      process.stdout.write(chunk.text);
    }
    const final = await stream.finalReply();
    console.log(`\n  attempts: ${history(final.attempts)}`);
    console.log(`  finalReply().object.sky: ${final.object.sky}`);

    if (!process.argv.includes('--live')) {
      console.log('\n4. an answer that fails the schema');
      const error = await endpoints
        .chain('wrong')
        .ask('The weather in Oslo, as a forecast', { schema: Forecast, deadline: 30_000 })
        .catch((e: unknown) => e);
      const cause = (error as { errors?: unknown[] }).errors?.at(-1) ?? error;
      if (cause instanceof StructuredOutputError) {
        console.log(`  ${describeError(error)}`);
        console.log(`  text: ${cause.text}`);
        console.log(`  issues: ${JSON.stringify(cause.issues)}`);
      } else throw error;
    }
  } finally {
    await endpoints.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
