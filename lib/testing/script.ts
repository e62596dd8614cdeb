/**
 * Reply scripts: what a healthy answer holds beyond plain text — tool calls, a structured
 * (JSON) answer, a thinking block, usage details — registered by name on the server or
 * passed inline, and checked once, when they are defined or received.
 */

/**
 * One scripted tool call.
 *
 * @example
 * ```ts
 * const call: ScriptedToolCall = { name: 'get_weather', input: { city: 'Paris' } };
 * const broken: ScriptedToolCall = { name: 'get_weather', inputText: '{"city": "Par' }; // invalid JSON
 * ```
 */
export interface ScriptedToolCall {
  /** The call id. @default OpenAI `call_fault<request>_<index>`, Anthropic `toolu_fault<request>_<index>` */
  id?: string;
  /** The tool name. */
  name: string;
  /** The arguments, serialised with `JSON.stringify`. @default {} */
  input?: unknown;
  /**
   * The arguments' raw JSON text, sent verbatim instead of `input` (so it may be invalid JSON).
   * An Anthropic JSON body cannot hold invalid JSON as `input`: there `input` is this string.
   */
  inputText?: string;
}

/**
 * A scripted answer. Blocks come in the order the APIs use: reasoning, text, tool calls.
 * Without `text`, `json` or `toolCalls` the text is the default greeting.
 *
 * @example
 * ```ts
 * const weather: ReplyScript = {
 *   text: 'Let me check.',
 *   toolCalls: [{ id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }],
 * };
 * const answer: ReplyScript = { json: { city: 'Paris', celsius: 21 } };
 * const thought: ReplyScript = { reasoning: { text: 'The user greets me.' }, text: 'Hi!' };
 * ```
 */
export interface ReplyScript {
  /** The text of the answer; with `toolCalls`, the text before them. */
  text?: string;
  /**
   * A structured answer, sent as its JSON text, in `argChunks` pieces. When the request forces one
   * tool (Anthropic `tool_choice: { type: 'tool', name }`, OpenAI `tool_choice: { type: 'function',
   * function: { name } }`) it is sent as a call of that tool with this input instead.
   */
  json?: unknown;
  /** A structured answer's raw text, sent verbatim instead of `json` (so it may be invalid JSON). */
  jsonText?: string;
  /** Tool calls, after any text. The stop reason becomes `tool_calls` / `tool_use`. */
  toolCalls?: ScriptedToolCall[];
  /**
   * A thinking block before everything else: Anthropic `thinking` (`thinking_delta` pieces, then one
   * `signature_delta`); OpenAI only counts it in `completion_tokens_details.reasoning_tokens`.
   */
  reasoning?: {
    /** The thinking text, streamed in word pieces. */
    text: string;
    /** The block's signature. @default `sig_` + base64 of the text's length */
    signature?: string;
    /**
     * Anthropic only: a `redacted_thinking` block with this (opaque) `data` follows the thinking
     * block, sent whole in its `content_block_start`, as the API sends reasoning its safety
     * systems encrypted.
     */
    redacted?: string;
  };
  /** Usage details, sent only when set (or, for reasoning tokens, when there is a thinking block). */
  usage?: {
    /** OpenAI `prompt_tokens_details.cached_tokens`, Anthropic `cache_read_input_tokens`. */
    cachedInputTokens?: number;
    /** Anthropic `cache_creation_input_tokens`. */
    cacheWriteInputTokens?: number;
    /**
     * OpenAI `completion_tokens_details.reasoning_tokens` (also added to `completion_tokens`),
     * Anthropic `output_tokens_details.thinking_tokens`. @default the thinking text's word count
     */
    reasoningTokens?: number;
  };
  /** The finish / stop reason word, sent verbatim (`content_filter`, `pause_turn`, `refusal`, …). */
  finishReason?: string;
  /** How many deltas each tool call's arguments (and a `json` answer) are split into. @default 3 */
  argChunks?: number;
}

const SCRIPT_KEYS = new Set([
  'text',
  'json',
  'jsonText',
  'toolCalls',
  'reasoning',
  'usage',
  'finishReason',
  'argChunks',
]);
const CALL_KEYS = new Set(['id', 'name', 'input', 'inputText']);
const USAGE_KEYS = new Set(['cachedInputTokens', 'cacheWriteInputTokens', 'reasoningTokens']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new TypeError(`unknown key \`${key}\` in ${where}`);
  }
}

function checkString(value: unknown, where: string, optional = true): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'string') {
    throw new TypeError(`\`${where}\` must be a string, got ${JSON.stringify(value) ?? String(value)}`);
  }
}

function checkCount(value: unknown, where: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`\`${where}\` must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
}

function checkCall(call: unknown, where: string): void {
  if (!isObject(call)) throw new TypeError(`\`${where}\` must be an object`);
  checkKeys(call, CALL_KEYS, where);
  checkString(call.name, `${where}.name`, false);
  if (call.name === '') throw new TypeError(`\`${where}.name\` must not be empty`);
  checkString(call.id, `${where}.id`);
  checkString(call.inputText, `${where}.inputText`);
  if (call.input !== undefined && call.inputText !== undefined) {
    throw new TypeError(`\`${where}\` takes \`input\` or \`inputText\`, not both`);
  }
}

/**
 * Checks a reply script and returns it; throws a `TypeError` / `RangeError` naming the field.
 * `label` names the script in messages (`reply \`weather\``).
 */
export function checkReplyScript(script: unknown, label: string): ReplyScript {
  if (!isObject(script)) throw new TypeError(`${label} must be an object`);
  checkKeys(script, SCRIPT_KEYS, label);
  checkString(script.text, `${label}.text`);
  checkString(script.jsonText, `${label}.jsonText`);
  checkString(script.finishReason, `${label}.finishReason`);
  checkCount(script.argChunks, `${label}.argChunks`, 1);
  const structured = script.json !== undefined || script.jsonText !== undefined;
  if (script.json !== undefined && script.jsonText !== undefined) {
    throw new TypeError(`${label} takes \`json\` or \`jsonText\`, not both`);
  }
  if (structured && (script.text !== undefined || script.toolCalls !== undefined)) {
    throw new TypeError(`${label}: a \`json\` answer cannot also have \`text\` or \`toolCalls\``);
  }
  if (script.toolCalls !== undefined) {
    if (!Array.isArray(script.toolCalls)) throw new TypeError(`\`${label}.toolCalls\` must be an array`);
    script.toolCalls.forEach((call, i) => checkCall(call, `${label}.toolCalls[${i}]`));
  }
  if (script.reasoning !== undefined) {
    const reasoning = script.reasoning;
    if (!isObject(reasoning)) throw new TypeError(`\`${label}.reasoning\` must be an object`);
    checkKeys(reasoning, new Set(['text', 'signature', 'redacted']), `${label}.reasoning`);
    checkString(reasoning.text, `${label}.reasoning.text`, false);
    checkString(reasoning.signature, `${label}.reasoning.signature`);
    checkString(reasoning.redacted, `${label}.reasoning.redacted`);
  }
  if (script.usage !== undefined) {
    if (!isObject(script.usage)) throw new TypeError(`\`${label}.usage\` must be an object`);
    checkKeys(script.usage, USAGE_KEYS, `${label}.usage`);
    for (const key of USAGE_KEYS) checkCount(script.usage[key], `${label}.usage.${key}`, 0);
  }
  return script as ReplyScript;
}

/** Parses an inline script (JSON text from `reply={…}` or the `x-fault-reply` header). */
export function parseReplyScript(text: string, label: string): ReplyScript {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`${label} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return checkReplyScript(value, label);
}
