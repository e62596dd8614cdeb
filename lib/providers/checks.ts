/**
 * Construction-time checks of a provider's options: no unknown (misspelt) key, and a `client`
 * that is really the SDK's client — so a mistake fails at `new`, not on the first request.
 */
import { checkOptionKeys, optionNames } from '../validate.js';
import type { AnthropicLLMOptions } from './anthropic.js';
import type { OpenAILLMOptions } from './openai.js';

/** Names the content work (DESIGN §8, §10) adds to provider constructors, accepted ahead of time. */
type ContentOptionNames = 'providerOptions' | 'tools' | 'toolChoice' | 'capabilities';

const TIMEOUTS = { timeout: true, firstChunkTimeout: true, idleTimeout: true } as const;
const DEFAULTS = { temperature: true, maxTokens: true, system: true } as const;
const CONTENT = { providerOptions: true, tools: true, toolChoice: true, capabilities: true } as const;
/** What both providers take: the above, and how to reach the API. */
const COMMON = {
  ...TIMEOUTS,
  ...DEFAULTS,
  ...CONTENT,
  client: true,
  apiKey: true,
  baseURL: true,
  defaultHeaders: true,
  fetch: true,
} as const;

const OPENAI_KEYS = optionNames<OpenAILLMOptions, ContentOptionNames>({
  ...COMMON,
  organization: true,
  project: true,
});

const ANTHROPIC_KEYS = optionNames<AnthropicLLMOptions, ContentOptionNames>(COMMON);

/** Checks `new OpenAILLM(model, options)`'s options; returns them for `super()`. */
export function checkOpenAIOptions(options: OpenAILLMOptions): OpenAILLMOptions {
  checkShape('OpenAILLM', options, OPENAI_KEYS);
  checkClient(options.client, 'an OpenAI client (`new OpenAI(…)` from `openai`)', [
    'chat',
    'completions',
    'create',
  ]);
  return options;
}

/** Checks `new AnthropicLLM(model, options)`'s options; returns them for `super()`. */
export function checkAnthropicOptions(options: AnthropicLLMOptions): AnthropicLLMOptions {
  checkShape('AnthropicLLM', options, ANTHROPIC_KEYS);
  checkClient(options.client, 'an Anthropic client (`new Anthropic(…)` from `@anthropic-ai/sdk`)', [
    'messages',
    'create',
  ]);
  return options;
}

function checkShape(provider: string, options: unknown, known: ReadonlySet<string>): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${provider} options must be an object, got ${String(options)}`);
  checkOptionKeys(`${provider} options`, options, known);
}

/** A given `client` must reach the SDK method we call (recognised by shape: SDK copies and realms differ). */
function checkClient(client: unknown, what: string, path: readonly string[]): void {
  if (client === undefined) return;
  let at: unknown = client;
  for (const step of path)
    at =
      typeof at === 'object' || typeof at === 'function'
        ? (at as Record<string, unknown> | null)?.[step]
        : undefined;
  if (typeof at !== 'function') {
    const got =
      client === null || typeof client !== 'object'
        ? String(client)
        : `an object without \`${path.join('.')}()\``;
    throw new TypeError(`\`client\` must be ${what}, got ${got}`);
  }
}
