import type { CallOptions, JsonSchema, Message, Reply, StandardSchema } from '../types.js';

/** What a tool's `execute` receives besides its input. */
export interface ToolExecuteOptions {
  /** Aborts when the caller's `signal` does: stop work and let go. */
  readonly signal: AbortSignal;
  /** The id of the tool call being answered. */
  readonly toolCallId: string;
}

/** The input a tool receives: a Standard Schema's output type, else `unknown` (a JSON Schema). */
export type ToolInput<P> = P extends StandardSchema<unknown, infer Output> ? Output : unknown;

/**
 * A tool `runTools` can run: what the model is shown (`description`, `parameters`) and the
 * code that answers a call. With a Standard Schema (zod 4…) the input is validated (defaults and
 * transforms applied) before `execute` sees it; a JSON Schema's input is passed as the model sent it.
 */
export interface Tool<P extends JsonSchema | StandardSchema = JsonSchema | StandardSchema> {
  readonly description?: string;
  readonly parameters: P;
  /** Its result is fed back to the model (a string as it is, anything else as JSON); a throw becomes an `isError` result. */
  execute(input: ToolInput<P>, options: ToolExecuteOptions): unknown;
}

/** The tools of a run, by name (`[a-zA-Z0-9_-]{1,64}`: what the model calls them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ToolSet = Readonly<Record<string, Tool<any>>>;

/**
 * Options of {@link runTools}: the tools, the step limit, and the options of every `ask`, except
 * `signal` and `deadline`, which bound the whole run (model calls and tools alike).
 */
export interface RunToolsOptions extends Omit<CallOptions, 'tools'> {
  readonly tools: ToolSet;
  /** The most model calls the run makes (a retried or fallen-back call is one). @default 8 */
  readonly maxSteps?: number;
}

/** What {@link runTools} resolves to. */
export interface RunToolsResult {
  /** The last reply: the answer, or (at `maxSteps`) a turn whose tool calls were not run (`stopReason: 'tool-calls'`). */
  readonly reply: Reply;
  /** The whole conversation: the input, every assistant turn and tool result, in order; ends with the last assistant turn. */
  readonly messages: readonly Message[];
  /** The reply of each model call, in order. */
  readonly steps: readonly Reply[];
}
