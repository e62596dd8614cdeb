import { TimeoutError } from '../errors/classes.js';
import type { LLM } from '../llm.js';
import { isSchemaObject } from '../schema/convert.js';
import { resolveParameters } from '../schema/parameters.js';
import { show } from '../schema/resolve.js';
import { raceAbort } from '../sleep.js';
import type { Input, Message, ToolCall, ToolResultPart, ToolSpec } from '../types.js';
import { checkDuration, checkInteger } from '../validate.js';
import type { RunToolsOptions, RunToolsResult, Tool, ToolSet } from './types.js';

const DEFAULT_MAX_STEPS = 8;
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** The longest a timer can wait (2³¹−1 ms). */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * The tool loop: asks `llm` with the tools, runs the tools the reply calls (in parallel), feeds
 * each result back as a `tool-result` (a throw, an input that fails the tool's schema and an
 * unknown tool name as `isError` results the model can read), and asks again, until a reply
 * calls no tool or `maxSteps` model calls were made. Each step is one `ask` through the whole
 * chain, so retry, fallback and every guard cover every step. Aborting `signal` rejects at once
 * with its reason, even while a tool that ignores its signal is still running; `deadline` bounds
 * the whole run (model calls and tools), rejecting with `TimeoutError` when it passes.
 *
 * @example
 * const { reply, messages } = await runTools(llm, 'Weather in Oslo?', {
 *   tools: { weather: tool({ parameters: z.object({ city: z.string() }), execute: ({ city }) => lookup(city) }) },
 * });
 */
export async function runTools(llm: LLM, input: Input, options: RunToolsOptions): Promise<RunToolsResult> {
  // By shape, not instanceof: an LLM from another copy of the package (ESM and CJS at once) works too.
  if (typeof (llm as Partial<LLM> | null)?.ask !== 'function') {
    throw new TypeError(`\`runTools\` needs an LLM, got ${show(llm)}`);
  }
  const { tools, maxSteps = DEFAULT_MAX_STEPS, deadline, signal, ...callOptions } = checkOptions(options);
  signal?.throwIfAborted();
  const specs = toolSpecs(tools);
  const messages: Message[] =
    typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? [...input] : [];
  const steps: RunToolsResult['steps'][number][] = [];
  // One signal for the run: the caller's abort, or the run's deadline; tools get it too.
  const run = new AbortController();
  const onAbort = (): void => run.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(
          () => run.abort(new TimeoutError(`The tool loop's deadline of ${deadline} ms passed`)),
          deadline,
        );
  try {
    for (;;) {
      // Each step sees a copy: the conversation grows after the call, never under it.
      const reply = await llm.ask(messages.length === 0 ? input : [...messages], {
        ...callOptions,
        signal: run.signal,
        tools: specs,
      });
      steps.push(reply);
      messages.push({ role: 'assistant', content: reply.content });
      if (reply.toolCalls.length === 0 || steps.length >= maxSteps) return { reply, messages, steps };
      const results = reply.toolCalls.map((call) => runOne(tools, call, run.signal));
      messages.push({ role: 'tool', content: await raceAbort(Promise.all(results), run.signal) });
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Types a tool by its schema: `execute` receives the schema's output type.
 *
 * @example
 * const weather = tool({ description: 'Current weather', parameters: z.object({ city: z.string() }), execute: ({ city }) => lookup(city) });
 */
export function tool<P extends Tool['parameters']>(definition: Tool<P>): Tool<P> {
  return definition;
}

/** Runs one call; never rejects: every failure is an `isError` result. */
async function runOne(tools: ToolSet, call: ToolCall, signal: AbortSignal): Promise<ToolResultPart> {
  const result = (output: unknown, isError = false): ToolResultPart => ({
    type: 'tool-result',
    toolCallId: call.id,
    name: call.name,
    output: output === undefined ? null : output,
    ...(isError ? { isError: true } : {}),
  });
  const found = Object.hasOwn(tools, call.name) ? tools[call.name] : undefined;
  if (!found) {
    return result(`Unknown tool "${call.name}". Available tools: ${Object.keys(tools).join(', ')}`, true);
  }
  try {
    const parameters = await resolveParameters(found.parameters, `tools.${call.name}.parameters`);
    const input = await parameters.validate(call.input);
    return result(await found.execute(input, { signal, toolCallId: call.id }));
  } catch (error) {
    return result(error instanceof Error ? error.message : String(error), true);
  }
}

function toolSpecs(tools: ToolSet): ToolSpec[] {
  return Object.entries(tools).map(([name, { description, parameters }]) => ({
    name,
    ...(description === undefined ? {} : { description }),
    parameters,
  }));
}

function checkOptions(options: RunToolsOptions): RunToolsOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`\`runTools\` options must be an object with \`tools\`, got ${show(options)}`);
  }
  const { tools, maxSteps } = options;
  if (
    typeof tools !== 'object' ||
    tools === null ||
    Array.isArray(tools) ||
    Object.keys(tools).length === 0
  ) {
    throw new TypeError(`\`tools\` must be an object of tools by name, got ${show(tools)}`);
  }
  for (const [name, tool] of Object.entries(tools)) {
    if (!NAME.test(name))
      throw new TypeError(`\`tools\` names must match [a-zA-Z0-9_-]{1,64}, got ${show(name)}`);
    if (typeof tool !== 'object' || tool === null) {
      throw new TypeError(
        `\`tools.${name}\` must be a tool ({ description?, parameters, execute }), got ${show(tool)}`,
      );
    }
    if (typeof tool.execute !== 'function') {
      throw new TypeError(`\`tools.${name}.execute\` must be a function, got ${show(tool.execute)}`);
    }
    if (!isSchemaObject(tool.parameters)) {
      throw new TypeError(
        `\`tools.${name}.parameters\` must be a JSON Schema or a Standard Schema, got ${show(tool.parameters)}`,
      );
    }
    if (tool.description !== undefined && typeof tool.description !== 'string') {
      throw new TypeError(`\`tools.${name}.description\` must be a string, got ${show(tool.description)}`);
    }
  }
  checkInteger('maxSteps', maxSteps, 1);
  checkDuration('deadline', options.deadline);
  if (options.deadline !== undefined && options.deadline > MAX_TIMER) {
    throw new RangeError(
      `\`deadline\` must be at most ${MAX_TIMER} ms (about 24.8 days), got ${options.deadline}`,
    );
  }
  return options;
}
