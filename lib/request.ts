import type { LLMRequest } from './middleware/types.js';
import { checkCallOptionKeys, checkInput } from './request-checks.js';
import type { CallOptions, Input } from './types.js';
import { checkDuration, checkInteger, checkNumber, describeValue } from './validate.js';

/**
 * Checks `ask`/`stream` input and options — all of them, before the call opens anything — and
 * builds the frozen request every layer sees: a string is one user message; `signal` and
 * `deadline` stay out (they live on the call).
 */
export function toRequest(input: Input, options: CallOptions): LLMRequest {
  checkCallOptions(options);
  if (typeof input === 'string' || Array.isArray(input)) checkInput(input);
  let messages: LLMRequest['messages'];
  if (typeof input === 'string') messages = Object.freeze([{ role: 'user', content: input }] as const);
  else if (Array.isArray(input) && input.length > 0)
    messages = Object.freeze([...(input as LLMRequest['messages'])]);
  else
    throw new TypeError(`\`input\` must be a string or a non-empty Message[], got ${describeValue(input)}`);
  const { signal: _signal, deadline: _deadline, ...rest } = options;
  return Object.freeze({ messages, options: Object.freeze(rest) });
}

function checkCallOptions(options: CallOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`call options must be an object, got ${describeValue(options)}`);
  checkCallOptionKeys(options);
  const { signal, deadline, timeout, firstChunkTimeout, idleTimeout, temperature, maxTokens } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`\`signal\` must be an AbortSignal, got ${describeValue(signal)}`);
  }
  checkDuration('deadline', deadline);
  checkDuration('timeout', timeout);
  checkDuration('firstChunkTimeout', firstChunkTimeout);
  checkDuration('idleTimeout', idleTimeout);
  checkNumber('temperature', temperature, 0);
  checkInteger('maxTokens', maxTokens, 1);
}
