import { type LLMErrorOptions, StructuredOutputError } from '../errors/classes.js';
import type { CallOptions, Reply } from '../types.js';
import { parseJson, type ResolvedSchema, resolveSchema, show } from './resolve.js';
import { isStrictCompatible } from './strict.js';

/**
 * What a call's `schema` or `choices` asks of the model, ready for a provider: send `name`,
 * `description`, `jsonSchema` and `strict`; then `read` the answer's text into the reply's
 * `object` (with `schema`) or `choice` (with `choices`).
 */
export interface StructuredOutput extends ResolvedSchema {
  /** The reply field the answer fills. */
  readonly field: 'object' | 'choice';
  /** The answer's text as the reply's field; rejects with `StructuredOutputError`. */
  read(text: string, context?: LLMErrorOptions): Promise<Pick<Reply, 'object' | 'choice'>>;
}

/**
 * The structured output a call asks for, or `undefined` when it asks for none. Bad options
 * reject with a `TypeError` naming `schema` or `choices`.
 *
 * @example
 * const output = await resolveOutput(request.options);
 * if (output) body.response_format = { type: 'json_schema', json_schema: { name: output.name, schema: output.jsonSchema, strict: output.strict } };
 * const fields = output ? await output.read(text, { provider: 'openai', model }) : {}; // { object } or { choice }
 */
export async function resolveOutput(
  options: Pick<CallOptions, 'schema' | 'choices'>,
): Promise<StructuredOutput | undefined> {
  const { schema, choices } = options;
  if (schema !== undefined && choices !== undefined) {
    throw new TypeError('`schema` and `choices` cannot be used together: `choices` is a schema of its own');
  }
  if (choices !== undefined) return resolveChoices(choices);
  if (schema === undefined) return undefined;
  const resolved = await resolveSchema(schema);
  return {
    ...resolved,
    field: 'object',
    read: async (text, context) => ({ object: await resolved.parse(text, context) }),
  };
}

const CHOICE = 'choice';

/**
 * `choices` as a schema: `{ choice: one of them }`. The answer is read from that JSON, or from
 * a bare answer that is exactly one of the choices (a server that ignored the schema).
 *
 * @example
 * const output = resolveChoices(['yes', 'no']);
 * await output.read('{"choice":"yes"}'); // { choice: 'yes' }
 */
export function resolveChoices(choices: readonly string[]): StructuredOutput {
  checkChoices(choices);
  const jsonSchema = Object.freeze({
    type: 'object',
    properties: Object.freeze({
      [CHOICE]: Object.freeze({ type: 'string', enum: Object.freeze([...choices]) }),
    }),
    required: Object.freeze([CHOICE]),
    additionalProperties: false,
  });
  const allowed = new Set(choices);
  const validate = async (value: unknown, text: string, context?: LLMErrorOptions): Promise<string> => {
    const choice = (value as { [CHOICE]?: unknown } | null)?.[CHOICE];
    if (typeof choice === 'string' && allowed.has(choice)) return choice;
    const issue = { message: `expected one of ${JSON.stringify(choices)}`, path: [CHOICE] };
    throw new StructuredOutputError(
      `The answer is not one of the choices ${JSON.stringify(choices)}: ${show(text)}`,
      text,
      [issue],
      context,
    );
  };
  const parse = async (text: string, context?: LLMErrorOptions): Promise<string> => {
    const bare = text.trim();
    if (allowed.has(bare)) return bare;
    return validate(parseJson(text, CHOICE, context), text, context);
  };
  return Object.freeze({
    name: CHOICE,
    description: undefined,
    jsonSchema,
    strict: isStrictCompatible(jsonSchema),
    parse,
    validate,
    field: 'choice' as const,
    read: async (text: string, context?: LLMErrorOptions) => ({ choice: await parse(text, context) }),
  });
}

function checkChoices(choices: unknown): void {
  if (!Array.isArray(choices) || choices.length === 0) {
    throw new TypeError(`\`choices\` must be a non-empty array of strings, got ${show(choices)}`);
  }
  const seen = new Set<string>();
  choices.forEach((choice: unknown, i) => {
    if (typeof choice !== 'string' || choice === '') {
      throw new TypeError(`\`choices[${i}]\` must be a non-empty string, got ${show(choice)}`);
    }
    if (seen.has(choice)) throw new TypeError(`\`choices[${i}]\` repeats ${show(choice)}`);
    seen.add(choice);
  });
}
