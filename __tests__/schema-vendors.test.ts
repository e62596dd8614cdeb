import { toStandardJsonSchema } from '@valibot/to-json-schema';
import { type } from 'arktype';
import * as v from 'valibot';
import {
  type LLM,
  runTools,
  type StandardSchema,
  StructuredOutputError,
  tool,
  type ToolResultPart,
} from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { CONTENT_MODEL, type ProviderName, wireLLM } from './helpers/wire.js';

// Structured output and tool parameters with real valibot and arktype schemas (not zod), through
// the real SDKs against the fault server: the JSON Schema sent is the library's own, and the
// model's answer is validated by the library.

/** What each vendor's schemas must express: a weather answer, and a tool taking a non-empty city. */
interface Schemas {
  readonly weather: StandardSchema;
  readonly city: StandardSchema<{ city: string }>;
}

const vendors: [string, Schemas][] = [
  [
    'valibot',
    {
      // valibot's JSON Schema comes from its own converter, through Standard JSON Schema.
      weather: toStandardJsonSchema(v.object({ city: v.string(), celsius: v.number() })),
      city: toStandardJsonSchema(v.object({ city: v.pipe(v.string(), v.minLength(1)) })),
    },
  ],
  [
    'arktype',
    {
      weather: type({ city: 'string', celsius: 'number' }),
      city: type({ city: 'string > 0' }),
    },
  ],
];

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start({
    replies: {
      answer: { json: { city: 'Oslo', celsius: 4 } },
      wrong: { json: { city: 'Oslo', celsius: 'cold' } },
      calls: {
        toolCalls: [
          { id: 'call_ok', name: 'lookup', input: { city: 'Oslo' } },
          { id: 'call_empty', name: 'lookup', input: { city: '' } },
        ],
      },
      done: { text: 'Oslo it is.' },
    },
  });
});
afterEach(() => server.resetHits());
afterAll(() => server.close());

type Name = ProviderName;
const make = (provider: Name, suffix: string): LLM =>
  wireLLM(server, provider, `${CONTENT_MODEL[provider]}${suffix}`);

/** The JSON Schema a request body asked for: OpenAI's response_format, Anthropic's forced answer tool. */
function askedSchema(provider: Name, body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (provider === 'openai') {
    return (body.response_format as { json_schema: { schema: Record<string, unknown> } }).json_schema.schema;
  }
  return (body.tools as { input_schema: Record<string, unknown> }[])[0]!.input_schema;
}

/** A tool's parameters as a request body sent them. */
function toolParameters(provider: Name, body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const [first] = body.tools as Record<string, unknown>[];
  return provider === 'openai'
    ? (first!.function as { parameters: Record<string, unknown> }).parameters
    : (first!.input_schema as Record<string, unknown>);
}

describe.each(vendors)('%s schemas on the wire', (_vendor, schemas) => {
  describe.each(['openai', 'anthropic'] as const)('%s', (provider) => {
    it("asks with the library's JSON Schema and returns the validated object, on ask and stream", async () => {
      const llm = make(provider, '~reply=answer');
      const reply = await llm.ask('Weather in Oslo?', { schema: schemas.weather });
      expect(reply.object).toEqual({ city: 'Oslo', celsius: 4 });
      const stream = llm.stream('Weather in Oslo?', { schema: schemas.weather });
      expect((await stream.finalReply()).object).toEqual({ city: 'Oslo', celsius: 4 });
      const asked = askedSchema(provider, server.hits(llm.model)[0]!.body);
      expect(asked).toMatchObject({
        type: 'object',
        properties: { city: { type: 'string' }, celsius: { type: 'number' } },
      });
      expect([...(asked.required as string[])].sort()).toEqual(['celsius', 'city']);
      expect(asked).not.toHaveProperty('$schema');
    });

    it("refuses an answer that fails the schema with the library's issues", async () => {
      const error = await make(provider, '~reply=wrong')
        .ask('Weather in Oslo?', { schema: schemas.weather })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StructuredOutputError);
      const { issues, text } = error as StructuredOutputError;
      expect(JSON.parse(text)).toEqual({ city: 'Oslo', celsius: 'cold' });
      expect(issues?.length).toBeGreaterThan(0);
      expect(JSON.stringify(issues?.map((i) => i.path))).toContain('celsius');
    });

    it('sends tool parameters as JSON Schema and validates each call before the tool runs', async () => {
      const seen: string[] = [];
      const lookup = tool({
        parameters: schemas.city,
        execute: ({ city }) => (seen.push(city), { city, celsius: 4 }),
      });
      const llm = make(provider, '~reply=calls|reply=done');
      const { reply, messages } = await runTools(llm, 'Weather?', { tools: { lookup } });
      expect(reply.text).toBe('Oslo it is.');
      expect(toolParameters(provider, server.hits(llm.model)[0]!.body)).toMatchObject({
        type: 'object',
        properties: { city: { type: 'string' } },
      });
      // The empty city fails the schema: the tool never sees it, the model gets an error result.
      expect(seen).toEqual(['Oslo']);
      const results = messages[2]!.content as readonly ToolResultPart[];
      expect(results.map((r) => [r.toolCallId, r.isError === true])).toEqual([
        ['call_ok', false],
        ['call_empty', true],
      ]);
    });
  });
});
