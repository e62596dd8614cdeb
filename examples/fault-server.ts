/**
 * The fault server in action: the real OpenAI and Anthropic SDKs against a local server
 * that fails on demand. Run it with `npx tsx examples/fault-server.ts`.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FaultServer, faultModel } from 'llm-resilience/testing';

async function main(): Promise<void> {
  // A named reply script: leading text, then a tool call whose arguments stream in four deltas.
  const server = await FaultServer.start({
    replies: {
      weather: {
        text: 'Let me check.',
        toolCalls: [{ id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }],
        argChunks: 4,
      },
    },
  });
  console.log(`fault server listening on ${server.url}`);
  try {
    // Two 503s with a retry-after-ms hint, then a healthy answer: the SDK's own retries recover.
    const openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 2 });
    const model = faultModel('gpt-4o', { status: 503, retry_after_ms: 20, fail_first: 2 });
    const reply = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    console.log(
      `openai: "${reply.choices[0]?.message.content}" after`,
      server.hits(model).map((h) => h.outcome),
    );

    // A stream that drops after two chunks: the SDK cannot retry it, the caller must.
    const anthropic = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
    const stream = anthropic.messages.stream({
      model: faultModel('claude-sonnet-4-6', { drop_after: 2 }),
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    let text = '';
    stream.on('text', (delta) => (text += delta));
    await stream.finalMessage().catch((error: unknown) => {
      console.log(`anthropic: stream broke after "${text}":`, (error as Error).message);
    });

    // The tool call, whole as JSON; then streamed and cut mid-arguments (3 text chunks + 2 of 4 argument deltas).
    const call = await openai.chat.completions.create({ model: 'gpt-4o~reply=weather', messages: [] });
    console.log(
      'openai tool call:',
      call.choices[0]?.finish_reason,
      JSON.stringify(call.choices[0]?.message.tool_calls),
    );
    const cut = anthropic.messages.stream({
      model: faultModel('claude-sonnet-4-6', { reply: 'weather', drop_after: 5 }),
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    let args = '';
    cut.on('inputJson', (delta) => (args += delta));
    await cut.finalMessage().catch((error: unknown) => {
      console.log(
        `anthropic: tool call cut after arguments ${JSON.stringify(args)}:`,
        (error as Error).message,
      );
    });
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
