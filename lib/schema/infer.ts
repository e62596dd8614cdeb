import type { Reply, SchemaInput, StandardSchema } from '../types.js';

/**
 * The type of `reply.object` for a `schema`: a Standard Schema's output type (zod's
 * `z.infer`), `unknown` for a JSON Schema (parsed, not validated).
 */
export type SchemaOutput<S extends SchemaInput> =
  S extends StandardSchema<unknown, infer Output> ? Output : unknown;

/**
 * A reply to a call with `schema`: `object` is present and typed.
 *
 * @example
 * const reply: ReplyWithObject<{ city: string }> = await llm.ask('Where?', { schema: z.object({ city: z.string() }) });
 */
export type ReplyWithObject<T> = Reply & { readonly object: T };

/** A reply to a call with `choices`: `choice` is present and one of them. */
export type ReplyWithChoice<C extends string> = Reply & { readonly choice: C };
