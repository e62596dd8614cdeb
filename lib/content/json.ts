import { type LLMErrorOptions, StructuredOutputError } from '../errors/classes.js';

/**
 * A tool call's arguments, parsed. Empty text is `{}` (a call without arguments); text that is
 * not JSON is a `StructuredOutputError` holding it.
 */
export function parseToolInput(text: string, name: string, context: LLMErrorOptions): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new StructuredOutputError(
      `The arguments of the call to tool '${name}' are not valid JSON (${text.length} characters)`,
      text,
      undefined,
      { ...context, cause },
    );
  }
}

/** A tool result's `output` as text: a string as it is, anything else as JSON. */
export function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  return JSON.stringify(output) ?? String(output);
}
