import { z } from 'zod';
import { StructuredOutputError } from '../lib/errors/classes.js';
import { resolveChoices, resolveOutput } from '../lib/schema/output.js';
import { resolveParameters } from '../lib/schema/parameters.js';
import { resolveSchema } from '../lib/schema/resolve.js';
import { isStrictCompatible } from '../lib/schema/strict.js';
import type { StandardSchema } from '../lib/types.js';

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<StructuredOutputError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return outcome.error as StructuredOutputError;
}

const Weather = z
  .object({ city: z.string(), celsius: z.number(), sky: z.enum(['clear', 'cloudy']) })
  .meta({ title: 'Weather report' });

describe('resolveSchema', () => {
  it('turns a zod 4 schema into its own JSON Schema, strict for OpenAI, named from its title', async () => {
    const out = await resolveSchema(Weather);
    expect(out.jsonSchema).toEqual({
      type: 'object',
      title: 'Weather report',
      properties: {
        city: { type: 'string' },
        celsius: { type: 'number' },
        sky: { type: 'string', enum: ['clear', 'cloudy'] },
      },
      required: ['city', 'celsius', 'sky'],
      additionalProperties: false,
    });
    expect(out.jsonSchema).toEqual(
      (({ $schema: _, ...rest }) => rest)(z.toJSONSchema(Weather, { io: 'output' })),
    );
    expect(out.strict).toBe(true);
    expect(out.name).toBe('Weather_report');
  });

  it('parses and validates the answer: the object is the schema output, defaults and transforms applied', async () => {
    const schema = z.object({
      city: z.string().transform((s) => s.toUpperCase()),
      unit: z.enum(['c', 'f']).default('c'),
    });
    const out = await resolveSchema(schema);
    await expect(out.parse('{"city":"oslo"}')).resolves.toEqual({ city: 'OSLO', unit: 'c' });
    // a transform has no JSON output: the input's schema is asked, and a default is not strict
    expect(out.jsonSchema.properties).toEqual({
      city: { type: 'string' },
      unit: { type: 'string', enum: ['c', 'f'], default: 'c' },
    });
    expect(out.strict).toBe(false);
    expect(out.name).toBe('response');
  });

  it('rejects text that is not JSON with StructuredOutputError carrying the text and no issues', async () => {
    const out = await resolveSchema(Weather);
    const error = await rejection(out.parse('{"city": "Oslo", ', { provider: 'openai', model: 'gpt-4o' }));
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect(error.kind).toBe('structured_output');
    expect(error.retryable).toBe(false);
    expect(error.text).toBe('{"city": "Oslo", ');
    expect(error.issues).toBeUndefined();
    expect(error.provider).toBe('openai');
    expect(error.model).toBe('gpt-4o');
    expect(error.message).toMatch(/^The answer for "Weather_report" is not valid JSON: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects JSON that fails the schema with its issues and paths', async () => {
    const out = await resolveSchema(Weather);
    const text = '{"city":"Oslo","celsius":"warm","sky":"clear"}';
    const error = await rejection(out.parse(text));
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect(error.text).toBe(text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues![0]!.path).toEqual(['celsius']);
    expect(error.message).toMatch(/does not match the schema "Weather_report": celsius: .*expected number/);
  });

  it('takes a JSON Schema { name, description, schema }: parsed, not validated', async () => {
    const spec = {
      name: 'answer',
      description: 'The answer',
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { n: { type: 'integer' } },
        required: ['n'],
        additionalProperties: false,
      },
    };
    const out = await resolveSchema(spec);
    expect(out.name).toBe('answer');
    expect(out.description).toBe('The answer');
    expect(out.strict).toBe(true);
    expect(out.jsonSchema).not.toHaveProperty('$schema');
    await expect(out.parse('{"n":"not a number"}')).resolves.toEqual({ n: 'not a number' });
    // the caller's schema is copied, never frozen or changed
    expect(Object.isFrozen(spec.schema.properties)).toBe(false);
    expect(Object.isFrozen(out.jsonSchema.properties)).toBe(true);
  });

  it('accepts a Standard Schema under a name', async () => {
    const out = await resolveSchema({ name: 'weather', schema: Weather as never });
    expect(out.name).toBe('weather');
    await expect(out.parse('{"city":"Oslo","celsius":3,"sky":"clear"}')).resolves.toEqual({
      city: 'Oslo',
      celsius: 3,
      sky: 'clear',
    });
  });

  it('wraps a schema whose root is not an object as { value }, and unwraps the answer', async () => {
    const Tree: z.ZodType<unknown> = z.array(z.lazy(() => Tree));
    const list = await resolveSchema(z.array(z.string()));
    expect(list.jsonSchema).toEqual({
      type: 'object',
      properties: { value: { type: 'array', items: { type: 'string' } } },
      required: ['value'],
      additionalProperties: false,
    });
    expect(list.strict).toBe(true);
    await expect(list.parse('{"value":["a","b"]}')).resolves.toEqual(['a', 'b']);
    const error = await rejection(list.parse('["a","b"]'));
    expect(error.issues).toEqual([{ message: 'expected an object with a "value" property', path: [] }]);
    // a root reference moves under the wrapper
    const tree = await resolveSchema(Tree);
    expect(JSON.stringify(tree.jsonSchema)).toContain('"$ref":"#/properties/value"');
    await expect(tree.parse('{"value":[[],[[]]]}')).resolves.toEqual([[], [[]]]);
  });

  it("uses zod's toJSONSchema for a zod 4 schema without ~standard.jsonSchema", async () => {
    const schema = z.object({ city: z.string(), sky: z.enum(['clear', 'cloudy']) });
    const { jsonSchema: _, ...props } = schema['~standard'];
    const older = Object.create(schema, { '~standard': { value: props } }) as StandardSchema;
    const out = await resolveSchema(older);
    expect(out.jsonSchema).toEqual((await resolveSchema(schema)).jsonSchema);
    await expect(out.parse('{"city":"Oslo","sky":"rain"}')).rejects.toThrow(StructuredOutputError);
  });

  it('takes any vendor that implements Standard JSON Schema, with an async validate', async () => {
    const json = {
      type: 'object',
      properties: { ok: { type: 'boolean' } },
      required: ['ok'],
      additionalProperties: false,
    };
    const custom = {
      '~standard': {
        version: 1 as const,
        vendor: 'custom',
        validate: async (value: unknown) =>
          (value as { ok?: unknown }).ok === true ? { value: 'yes' } : { issues: [{ message: 'not ok' }] },
        jsonSchema: { input: () => json, output: () => json },
      },
    };
    const out = await resolveSchema(custom);
    expect(out.jsonSchema).toEqual(json);
    await expect(out.parse('{"ok":true}')).resolves.toBe('yes');
    expect((await rejection(out.parse('{"ok":false}'))).issues).toEqual([{ message: 'not ok' }]);
  });

  it('resolves each schema object once', () => {
    expect(resolveSchema(Weather)).toBe(resolveSchema(Weather));
  });

  it('names a bad schema with a TypeError', async () => {
    await expect(resolveSchema(42 as never)).rejects.toThrow(
      new TypeError(
        '`schema` must be a JSON Schema `{ name?, schema }` or a Standard Schema (zod 4, valibot, arktype), got 42',
      ),
    );
    await expect(resolveSchema({ type: 'object', properties: {} } as never)).rejects.toThrow(
      /wrap a JSON Schema as `\{ schema: … \}`/,
    );
    await expect(resolveSchema({ name: 'has space', schema: {} })).rejects.toThrow(
      new TypeError('`schema.name` must match [a-zA-Z0-9_-]{1,64}, got "has space"'),
    );
    const noJson = {
      '~standard': { version: 1 as const, vendor: 'valibot', validate: () => ({ value: 1 }) },
    };
    await expect(resolveSchema(noJson)).rejects.toThrow(
      /Standard Schema from "valibot" that cannot give a JSON Schema/,
    );
    await expect(resolveSchema(z.date())).rejects.toThrow(/cannot be written as a JSON Schema by "zod"/);
  });
});

describe('isStrictCompatible', () => {
  const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...extra,
  });

  it.each([
    ['a closed object with every property required', obj({ a: { type: 'string' } }), true],
    [
      'nullable types, anyOf, $defs and refs',
      obj(
        { a: { type: ['string', 'null'] }, b: { anyOf: [{ type: 'number' }, { $ref: '#/$defs/x' }] } },
        { $defs: { x: obj({}) } },
      ),
      true,
    ],
    [
      'string formats and number bounds',
      obj({ d: { type: 'string', format: 'date-time' }, n: { type: 'integer', minimum: 0, maximum: 9 } }),
      true,
    ],
    ['a root that is not an object', { type: 'array', items: { type: 'string' } }, false],
    ['an optional property', { ...obj({ a: { type: 'string' } }), required: [] }, false],
    ['an open object', { ...obj({ a: { type: 'string' } }), additionalProperties: true }, false],
    ['a nested open object', obj({ a: { type: 'object', properties: {} } }), false],
    ['a default', obj({ a: { type: 'string', default: 'x' } }), false],
    ['minLength', obj({ a: { type: 'string', minLength: 1 } }), false],
    ['an unknown format', obj({ a: { type: 'string', format: 'uri' } }), false],
    ['oneOf', obj({ a: { oneOf: [{ type: 'string' }] } }), false],
    ['a root anyOf', { ...obj({}), anyOf: [] }, false],
    [
      'more than 10 levels of objects',
      Array.from({ length: 10 }).reduce<object>((inner) => obj({ a: inner }), obj({})),
      false,
    ],
    [
      'more than 1000 enum values',
      obj({ a: { type: 'string', enum: Array.from({ length: 1001 }, (_, i) => `v${i}`) } }),
      false,
    ],
  ])('%s: %s', (_name, schema, strict) => {
    expect(isStrictCompatible(schema as Record<string, unknown>)).toBe(strict);
  });
});

describe('choices', () => {
  it('asks for one of them as an enum and reads reply.choice', async () => {
    const output = resolveChoices(['yes', 'no']);
    expect(output.field).toBe('choice');
    expect(output.jsonSchema).toEqual({
      type: 'object',
      properties: { choice: { type: 'string', enum: ['yes', 'no'] } },
      required: ['choice'],
      additionalProperties: false,
    });
    expect(output.strict).toBe(true);
    await expect(output.read('{"choice":"no"}')).resolves.toEqual({ choice: 'no' });
    await expect(output.read(' yes\n')).resolves.toEqual({ choice: 'yes' });
    const error = await rejection(output.read('{"choice":"maybe"}'));
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect(error.issues).toEqual([{ message: 'expected one of ["yes","no"]', path: ['choice'] }]);
    expect((await rejection(output.read('maybe'))).issues).toBeUndefined();
  });

  it('names bad choices and refuses them with a schema', async () => {
    expect(() => resolveChoices([])).toThrow(
      new TypeError('`choices` must be a non-empty array of strings, got an array of 0'),
    );
    expect(() => resolveChoices(['a', 'a'])).toThrow(new TypeError('`choices[1]` repeats "a"'));
    expect(() => resolveChoices(['a', 3 as never])).toThrow(
      new TypeError('`choices[1]` must be a non-empty string, got 3'),
    );
    await expect(resolveOutput({ schema: Weather, choices: ['a'] })).rejects.toThrow(
      /cannot be used together/,
    );
  });
});

describe('resolveOutput', () => {
  it('is undefined without schema or choices, and fills reply.object with a schema', async () => {
    await expect(resolveOutput({})).resolves.toBeUndefined();
    const output = (await resolveOutput({ schema: Weather }))!;
    expect(output.field).toBe('object');
    expect(output.name).toBe('Weather_report');
    await expect(output.read('{"city":"Oslo","celsius":3,"sky":"clear"}')).resolves.toEqual({
      object: { city: 'Oslo', celsius: 3, sky: 'clear' },
    });
  });
});

describe('resolveParameters', () => {
  it("gives a tool's JSON Schema and validates its input through the Standard Schema", async () => {
    const params = await resolveParameters(
      z.object({ city: z.string(), days: z.number().int().default(1) }),
      'tools[0].parameters',
    );
    expect(params.jsonSchema).toMatchObject({ type: 'object', required: ['city', 'days'] });
    await expect(params.validate({ city: 'Oslo' })).resolves.toEqual({ city: 'Oslo', days: 1 });
    const error = await rejection(params.validate({ city: 7 }));
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect(error.issues![0]!.path).toEqual(['city']);
  });

  it('passes a JSON Schema through, and refuses a non-object one', async () => {
    const json = { type: 'object', properties: { q: { type: 'string' } } };
    const params = await resolveParameters(json, 'tools[0].parameters');
    expect(params.jsonSchema).toEqual(json);
    expect(params.strict).toBe(false);
    await expect(params.validate({ q: 1 })).resolves.toEqual({ q: 1 });
    await expect(resolveParameters(z.string(), 'tools[1].parameters')).rejects.toThrow(
      new TypeError('`tools[1].parameters` must describe an object (a tool\'s input), got type "string"'),
    );
    await expect(resolveParameters('x' as never, 'tools[2].parameters')).rejects.toThrow(TypeError);
  });
});
