/**
 * A tool loop that survives an overloaded primary: `npm run example:tools`.
 *
 * `runTools` asks the chain, runs the tools the answer calls (in parallel), feeds their results
 * back and asks again until the model answers. Every step is one `ask` through the whole chain:
 * here the primary (OpenAI) answers 529 Overloaded to every request, so each step is retried
 * once and then falls back to Anthropic, which calls the tools and then answers — the
 * conversation built on one provider's format continues on the other.
 *
 * By default everything runs against the local fault server (no keys needed). With `--live` the
 * same loop runs against the real providers (OPENAI_API_KEY, ANTHROPIC_API_KEY); there the primary
 * is healthy, so no fallback is expected.
 */
import { z } from 'zod';
import {
  AnthropicLLM,
  type Attempt,
  describeError,
  type LLM,
  OpenAILLM,
  runTools,
  tool,
} from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';

interface Endpoints {
  readonly primary: LLM;
  readonly fallback: LLM;
  /** Local only: the messages of the last request each provider received, as sent on the wire. */
  wire?(): string;
  close(): Promise<void>;
}

async function local(): Promise<Endpoints> {
  const server = await FaultServer.start({
    replies: {
      // Step 1: the model calls the weather tool for both cities, its arguments streamed in pieces.
      calls: {
        text: 'Let me check both cities.',
        toolCalls: [
          { id: 'toolu_oslo', name: 'weather', input: { city: 'Oslo' } },
          { id: 'toolu_rome', name: 'weather', input: { city: 'Rome' } },
        ],
      },
      // Step 2: the model answers from the tool results.
      answer: { text: 'Oslo is 3 °C and cloudy; Rome is 18 °C and clear. Take a coat to Oslo.' },
    },
  });
  console.log(`fault server listening on ${server.url}`);
  return {
    // Every request to the primary is answered 529 Overloaded.
    primary: new OpenAILLM('gpt-4o~status=529', { apiKey: 'example', baseURL: server.openaiBaseURL }),
    // The fallback calls the tools on its first hit, then answers.
    fallback: new AnthropicLLM('claude-haiku-4-5~reply=calls|reply=answer', {
      apiKey: 'example',
      baseURL: server.anthropicBaseURL,
    }),
    wire: () =>
      (['openai', 'anthropic'] as const)
        .map((provider) => {
          const last = server
            .hits()
            .filter((hit) => hit.provider === provider)
            .at(-1);
          return `  ${provider}: ${JSON.stringify(last?.body.messages)}`;
        })
        .join('\n'),
    close: () => server.close(),
  };
}

function live(): Endpoints {
  if (!process.env.OPENAI_API_KEY || !process.env.ANTHROPIC_API_KEY) {
    throw new Error('--live needs OPENAI_API_KEY and ANTHROPIC_API_KEY in the environment');
  }
  return {
    primary: new OpenAILLM('gpt-4o-mini', { timeout: 30_000 }),
    fallback: new AnthropicLLM('claude-haiku-4-5', { timeout: 30_000, maxTokens: 500 }),
    close: async () => {},
  };
}

/** A stand-in for a weather service. */
const WEATHER: Record<string, { celsius: number; sky: string }> = {
  oslo: { celsius: 3, sky: 'cloudy' },
  rome: { celsius: 18, sky: 'clear' },
};

const weather = tool({
  description: 'The current weather in a city',
  parameters: z.object({ city: z.string().describe('The city name, e.g. Oslo') }),
  async execute({ city }, { signal }) {
    signal.throwIfAborted();
    const found = WEATHER[city.toLowerCase()];
    if (!found) throw new Error(`no weather station in ${city}`);
    return { city, ...found };
  },
});

function history(attempts: readonly Attempt[]): string {
  return attempts
    .map((a) => `${a.provider}:${a.model} ${a.outcome === 'success' ? 'ok' : describeError(a.error)}`)
    .join(' → ');
}

async function main(): Promise<void> {
  const endpoints = process.argv.includes('--live') ? live() : await local();
  try {
    const llm = endpoints.primary
      .withRetry({ maxRetries: 1, initialDelay: 100 })
      .withFallbacks([endpoints.fallback], {
        onFallback: (error, next) =>
          console.log(`  falling back to ${next.describe()}: ${describeError(error)}`),
      });
    console.log(`chain: ${llm.describe()}\n`);

    const { reply, messages, steps } = await runTools(llm, 'What is the weather in Oslo and in Rome?', {
      tools: { weather },
      maxSteps: 4,
      deadline: 30_000,
    });

    steps.forEach((step, i) => {
      console.log(`step ${i + 1}: ${history(step.attempts)}`);
      console.log(`  stopReason=${step.stopReason} finishReason=${step.finishReason}`);
      for (const call of step.toolCalls)
        console.log(`  tool call ${call.id}: ${call.name}(${JSON.stringify(call.input)})`);
    });
    console.log('\nconversation:');
    for (const message of messages) {
      const content = typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
      console.log(`  ${message.role.padEnd(9)} ${content}`);
    }
    console.log(`\nanswer (${reply.provider}:${reply.model}): ${reply.text}`);
    if (endpoints.wire)
      console.log(`\nthe last step's messages on the wire, per provider:\n${endpoints.wire()}`);
  } finally {
    await endpoints.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
