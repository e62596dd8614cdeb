import type { ContentDefaults } from '../content/prepare.js';
import { checkContentOptions } from '../content/options.js';
import type { Capabilities, ProviderOptions, TimeoutOptions, ToolChoice, ToolSpec } from '../types.js';
import { checkDuration, checkInteger, checkNumber } from '../validate.js';

/** The `max_tokens` sent when neither the constructor nor the call names one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** What every provider takes as defaults for its calls; call options override each. */
export interface ProviderDefaults extends TimeoutOptions, ContentOptions {
  readonly system?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
}

/** The content options of a provider constructor: capabilities, default tools, provider options. */
export interface ContentOptions extends ContentDefaults {
  /**
   * What this LLM can take (all true by default, as the official APIs do); set what an
   * OpenAI-compatible server lacks, e.g. `{ images: false, tools: false }` for a text-only model.
   */
  readonly capabilities?: Partial<Capabilities>;
  /** Default tools for every call; a call's tool of the same name wins. */
  readonly tools?: readonly ToolSpec[];
  readonly toolChoice?: ToolChoice;
  /** Provider-only request fields for every call (the call's own are merged over them). */
  readonly providerOptions?: ProviderOptions;
}

/** Checks a provider's defaults at construction (each bad one a `TypeError`/`RangeError` naming it) and freezes them. */
export function checkDefaults(options: ProviderDefaults): ProviderDefaults {
  const { timeout, firstChunkTimeout, idleTimeout, system, temperature, maxTokens } = options;
  const { tools, toolChoice, providerOptions } = options;
  checkDuration('timeout', timeout);
  checkDuration('firstChunkTimeout', firstChunkTimeout);
  checkDuration('idleTimeout', idleTimeout);
  checkNumber('temperature', temperature, 0);
  checkInteger('maxTokens', maxTokens, 1);
  if (system !== undefined && typeof system !== 'string')
    throw new TypeError(`\`system\` must be a string, got ${typeof system}`);
  checkContentOptions({ tools, toolChoice, providerOptions });
  return Object.freeze({
    timeout,
    firstChunkTimeout,
    idleTimeout,
    system,
    temperature,
    maxTokens,
    tools: tools && Object.freeze([...tools]),
    toolChoice,
    providerOptions,
  });
}
