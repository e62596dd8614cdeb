import { AnthropicLLM, type LLM, OpenAILLM, type TimeoutOptions } from '../../lib/index.js';
import type { FaultServer } from '../../lib/testing/index.js';

export type ProviderName = 'openai' | 'anthropic';
export const PROVIDERS: readonly ProviderName[] = ['openai', 'anthropic'];

/** The base model each provider's tests use (the Anthropic SDK warns on some older names). */
export const BASE_MODEL: Record<ProviderName, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-haiku-4-5',
};

/** The models the content, structured-output and tool suites name (a fault suffix follows). */
export const CONTENT_MODEL: Record<ProviderName, string> = {
  openai: 'gpt-4o',
  anthropic: 'claude-haiku-4-5',
};

/** A provider LLM over the real SDK, pointed at the fault server. */
export function wireLLM(
  server: FaultServer,
  provider: ProviderName,
  model: string,
  options: TimeoutOptions & { apiKey?: string } = {},
): LLM {
  const apiKey = options.apiKey ?? 'test-key';
  return provider === 'openai'
    ? new OpenAILLM(model, { ...options, apiKey, baseURL: server.openaiBaseURL })
    : new AnthropicLLM(model, { ...options, apiKey, baseURL: server.anthropicBaseURL });
}
