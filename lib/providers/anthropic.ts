import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import type { MessageCreateParamsBase, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { classifySdkError, type ErrorScope, type SdkErrors } from '../errors/classify.js';
import type { LLMRequest } from '../llm.js';
import type { TimeoutOptions } from '../types.js';
import {
  type Completion,
  type HeaderListener,
  ProviderLLM,
  type StreamUpdate,
  withHeaders,
} from './provider.js';
import { checkAnthropicOptions } from './checks.js';
import { secretsOf } from './secrets.js';

/** Options of {@link AnthropicLLM}: a ready `client`, or the usual client options. */
export interface AnthropicLLMOptions extends TimeoutOptions {
  /** A ready client. Its own retries are bypassed: each request is sent with `maxRetries: 0`. */
  readonly client?: Anthropic;
  /** @default process.env.ANTHROPIC_API_KEY */
  readonly apiKey?: string;
  readonly baseURL?: string;
  readonly defaultHeaders?: Record<string, string>;
  readonly fetch?: typeof fetch;
  /** Defaults for every call; call options override them. */
  readonly temperature?: number;
  /**
   * The messages API requires `max_tokens`.
   * @default 4096
   */
  readonly maxTokens?: number;
  readonly system?: string;
}

/** The `max_tokens` sent when neither the constructor nor the call names one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

const SDK: SdkErrors<APIError> = {
  APIError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  facts: (e) => ({
    status: e.status,
    type: e.type,
    code: e.errorCode,
    message: e.apiMessage ?? e.message,
    headers: e.headers,
    requestId: e.requestID,
  }),
};

/**
 * The messages API through the official `@anthropic-ai/sdk` package.
 *
 * @example
 * const llm = new AnthropicLLM('claude-3-5-haiku-latest', { maxTokens: 1024 });
 */
export class AnthropicLLM extends ProviderLLM {
  readonly provider = 'anthropic' as const;
  readonly #client: Anthropic;
  readonly #scope: ErrorScope;

  constructor(model: string, options: AnthropicLLMOptions = {}) {
    super(model, checkAnthropicOptions(options));
    const { client, apiKey, baseURL, defaultHeaders, fetch } = options;
    this.#client = client ?? new Anthropic({ apiKey, baseURL, defaultHeaders, fetch, maxRetries: 0 });
    this.#scope = {
      provider: 'anthropic',
      model,
      secrets: secretsOf(this.#client.apiKey, this.#client.authToken, apiKey),
    };
    if (new.target === AnthropicLLM) Object.freeze(this); // a subclass freezes itself, once built
  }

  protected async complete(
    request: LLMRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<Completion> {
    const message = await withHeaders(
      this.#client.messages.create({ ...this.#params(request), stream: false }, { signal, maxRetries: 0 }),
      onHeaders,
    );
    let text = '';
    for (const block of message.content) if (block.type === 'text') text += block.text;
    const { input_tokens: inputTokens, output_tokens: outputTokens } = message.usage;
    return {
      text,
      model: message.model,
      finishReason: message.stop_reason ?? 'unknown',
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      raw: message,
    };
  }

  protected async open(
    request: LLMRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<AsyncIterable<unknown>> {
    return withHeaders(
      this.#client.messages.create({ ...this.#params(request), stream: true }, { signal, maxRetries: 0 }),
      onHeaders,
    );
  }

  protected read(event: unknown): StreamUpdate | undefined {
    const e = event as RawMessageStreamEvent;
    switch (e.type) {
      case 'message_start':
        return {
          model: e.message.model,
          inputTokens: e.message.usage.input_tokens,
          outputTokens: e.message.usage.output_tokens,
        };
      case 'content_block_delta':
        return e.delta.type === 'text_delta' ? { text: e.delta.text } : undefined;
      case 'message_delta':
        return {
          finishReason: e.delta.stop_reason ?? undefined,
          outputTokens: e.usage.output_tokens,
          ...(e.usage.input_tokens == null ? {} : { inputTokens: e.usage.input_tokens }),
        };
      case 'message_stop':
        return { terminal: true };
      default:
        return undefined;
    }
  }

  protected classify(error: unknown): unknown {
    return classifySdkError(error, this.#scope, SDK);
  }

  protected override async listModels(signal: AbortSignal | undefined): Promise<void> {
    await this.#client.models.list({ limit: 1 }, { signal, maxRetries: 0 });
  }

  #params(request: LLMRequest): MessageCreateParamsBase {
    const { options, messages } = request;
    const systemParts: string[] = [];
    const { system, temperature, maxTokens } = this.settings(options);
    if (system !== undefined) systemParts.push(system);
    const wire: MessageCreateParamsBase['messages'] = [];
    for (const m of messages) {
      if (m.role === 'system') systemParts.push(m.content);
      else wire.push({ role: m.role, content: m.content });
    }
    return {
      ...options.extra,
      model: this.model,
      max_tokens: maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
      messages: wire,
      ...(systemParts.length === 0 ? {} : { system: systemParts.join('\n\n') }),
      ...(temperature === undefined ? {} : { temperature }),
    };
  }
}
