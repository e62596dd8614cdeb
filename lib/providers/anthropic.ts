import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { classifySdkError, type ErrorScope, type SdkErrors } from '../errors/classify.js';
import type { TimeoutOptions } from '../types.js';
import { anthropicBody, answerTool } from './anthropic-request.js';
import { anthropicCompletion, anthropicStreamUpdate, answerAsText } from './anthropic-reply.js';
import type { ContentOptions } from './defaults.js';
import {
  type Completion,
  type HeaderListener,
  ProviderLLM,
  type ProviderRequest,
  type StreamUpdate,
  withHeaders,
} from './provider.js';
import { secretsOf } from './secrets.js';

export { DEFAULT_ANTHROPIC_MAX_TOKENS } from './anthropic-request.js';

/** Options of {@link AnthropicLLM}: a ready `client`, or the usual client options. */
export interface AnthropicLLMOptions extends TimeoutOptions, ContentOptions {
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
    super(model, options);
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
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<Completion> {
    const message = await withHeaders(
      this.#client.messages.create({ ...this.#body(request), stream: false }, { signal, maxRetries: 0 }),
      onHeaders,
    );
    return anthropicCompletion(message, answerTool(request)?.name, {
      provider: 'anthropic',
      model: this.model,
    });
  }

  protected async open(
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<AsyncIterable<unknown>> {
    const events = await withHeaders(
      this.#client.messages.create({ ...this.#body(request), stream: true }, { signal, maxRetries: 0 }),
      onHeaders,
    );
    const answer = answerTool(request)?.name;
    return answer === undefined ? events : answerAsText(events, answer);
  }

  protected read(event: unknown): StreamUpdate | undefined {
    return anthropicStreamUpdate(event);
  }

  protected classify(error: unknown): unknown {
    return classifySdkError(error, this.#scope, SDK);
  }

  protected override async listModels(signal: AbortSignal | undefined): Promise<void> {
    await this.#client.models.list({ limit: 1 }, { signal, maxRetries: 0 });
  }

  #body(request: ProviderRequest): ReturnType<typeof anthropicBody> {
    return anthropicBody(request, this.model, this.settings(request.options));
  }
}
