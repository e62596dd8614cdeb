import { toStandardJsonSchema } from '@valibot/to-json-schema';
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { type LLM, OpenAILLM, type Reply, runTools, tool } from '../lib/index.js';

// Type-level checks: `npm run typecheck` fails if a `@ts-expect-error` line stops being an error.
// The functions are never called; they exist for the type checker.
describe('structured output types', () => {
  it('type reply.object from the schema and reply.choice from the choices', () => {
    const llm: LLM = new OpenAILLM('gpt-4o', { apiKey: 'k' });
    const Weather = z.object({ city: z.string(), celsius: z.number().default(0) });

    const typed = async (): Promise<void> => {
      const reply = await llm.ask('Weather?', { schema: Weather });
      const city: string = reply.object.city;
      const celsius: number = reply.object.celsius; // a default makes the output required
      // @ts-expect-error the schema has no `country`
      void reply.object.country;
      // @ts-expect-error `city` is a string
      const n: number = reply.object.city;

      const json = await llm.ask('Weather?', { schema: { name: 'w', schema: { type: 'object' } } });
      const untyped: unknown = json.object;
      // @ts-expect-error a JSON Schema's object is unknown until checked
      void json.object.city;

      const answer = await llm.ask('Yes or no?', { choices: ['yes', 'no'] });
      const choice: 'yes' | 'no' = answer.choice;
      // @ts-expect-error only the choices given
      const other: 'maybe' = answer.choice;

      const streamed = await llm.stream('Weather?', { schema: Weather }).finalReply();
      const streamedCity: string = streamed.object.city;

      const plain: Reply = await llm.ask('Hi');
      // @ts-expect-error without a schema, object may be absent
      const required: { city: string } = plain.object;

      void [city, celsius, n, untyped, choice, other, streamedCity, required];
    };

    const tools = async (): Promise<void> => {
      const weather = tool({
        parameters: Weather,
        execute: ({ city, celsius }) => `${city.toUpperCase()} ${celsius.toFixed(0)}`,
      });
      await runTools(llm, 'Weather?', { tools: { weather }, maxSteps: 3 });
      tool({
        parameters: Weather,
        // @ts-expect-error the input has no `country`
        execute: ({ country }) => country,
      });
      // @ts-expect-error a tool needs execute
      await runTools(llm, 'x', { tools: { weather: { parameters: Weather } } });
    };

    // Other Standard Schema libraries type the reply and the tool input too (arktype's types are functions).
    const vendors = async (): Promise<void> => {
      const ark = await llm.ask('Weather?', { schema: type({ city: 'string', celsius: 'number' }) });
      const arkCelsius: number = ark.object.celsius;
      // @ts-expect-error the schema has no `country`
      void ark.object.country;
      const vali = await llm.ask('Weather?', {
        schema: toStandardJsonSchema(v.object({ city: v.string(), celsius: v.number() })),
      });
      const valiCity: string = vali.object.city;
      tool({ parameters: type({ city: 'string' }), execute: ({ city }) => city.toUpperCase() });
      tool({
        parameters: toStandardJsonSchema(v.object({ city: v.string() })),
        // @ts-expect-error `city` is a string
        execute: ({ city }) => city.toFixed(0),
      });
      void [arkCelsius, valiCity];
    };

    expect([typeof typed, typeof tools, typeof vendors]).toEqual(['function', 'function', 'function']);
  });
});
