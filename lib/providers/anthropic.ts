import type Anthropic from '@anthropic-ai/sdk';
import type { APIError } from '@anthropic-ai/sdk';
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
import { envVar, SdkClient, type SdkSpec } from './sdk.js';
import { secretsOf } from './secrets.js';

/**
 * What {@link AnthropicLLM} needs of a ready client: any `new Anthropic(…)` (0.71 or later) fits.
 * Typed by shape so that these declarations do not import `@anthropic-ai/sdk`, which is an
 * optional peer dependency.
 */
export interface AnthropicClientLike {
  readonly apiKey?: unknown;
  readonly authToken?: unknown;
  readonly messages: { create(body: never, options?: never): unknown };
  readonly models: { list(query?: never, options?: never): unknown };
}

/** Options of {@link AnthropicLLM}: a ready `client`, or the usual client options. */
export interface AnthropicLLMOptions extends TimeoutOptions {
  /** A ready client (`new Anthropic(…)`). Its own retries are bypassed: each request is sent with `maxRetries: 0`. */
  readonly client?: AnthropicClientLike;
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

const SDK: SdkSpec = {
  package: '@anthropic-ai/sdk',
  supported: '>=0.71 <2',
  user: 'AnthropicLLM',
  env: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'],
};

/** SDK 1.x reads `type`, `errorCode` and `apiMessage` off the body; 0.x leaves them in `error` (the body). */
const facts: SdkErrors<APIError>['facts'] = (e) => {
  const body = (e.error as { error?: { type?: unknown; message?: unknown } } | undefined)?.error;
  return {
    status: e.status,
    type: e.type ?? (typeof body?.type === 'string' ? body.type : undefined),
    code: e.errorCode,
    message: e.apiMessage ?? (typeof body?.message === 'string' ? body.message : e.message),
    headers: e.headers,
    requestId: e.requestID,
  };
};

/** Credentials can also come as a header a gateway expects. */
function hasAuthHeader(headers: Record<string, string> | undefined): boolean {
  return Object.keys(headers ?? {}).some((name) => /^(x-api-key|authorization)$/i.test(name));
}

/**
 * The messages API through the official `@anthropic-ai/sdk` package.
 *
 * @example
 * const llm = new AnthropicLLM('claude-3-5-haiku-latest', { maxTokens: 1024 });
 */
export class AnthropicLLM extends ProviderLLM {
  readonly provider = 'anthropic' as const;
  readonly #sdk: SdkClient<Anthropic, APIError>;
  readonly #scope: ErrorScope;

  constructor(model: string, options: AnthropicLLMOptions = {}) {
    super(model, checkAnthropicOptions(options));
    const { client, baseURL, defaultHeaders, fetch } = options;
    // The SDK reads the environment when a client is built; we read it here, once, as it would.
    const apiKey = options.apiKey ?? envVar('ANTHROPIC_API_KEY');
    const authToken = envVar('ANTHROPIC_AUTH_TOKEN');
    this.#scope = {
      provider: 'anthropic',
      model,
      secrets: secretsOf(client?.apiKey, client?.authToken, apiKey, authToken),
    };
    this.#sdk = new SdkClient<Anthropic, APIError>(
      {
        spec: SDK,
        scope: this.#scope,
        client: client as Anthropic | undefined,
        hasCredentials: apiKey !== undefined || authToken !== undefined || hasAuthHeader(defaultHeaders),
        create: (AnthropicClient) =>
          new (AnthropicClient as typeof Anthropic)({
            apiKey: apiKey ?? null,
            authToken: authToken ?? null,
            baseURL,
            defaultHeaders,
            fetch,
            maxRetries: 0,
          }),
      },
      facts,
    );
    if (new.target === AnthropicLLM) Object.freeze(this); // a subclass freezes itself, once built
  }

  protected async complete(
    request: LLMRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<Completion> {
    const client = await this.#sdk.client();
    const message = await withHeaders(
      client.messages.create({ ...this.#params(request), stream: false }, { signal, maxRetries: 0 }),
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
    const client = await this.#sdk.client();
    return withHeaders(
      client.messages.create({ ...this.#params(request), stream: true }, { signal, maxRetries: 0 }),
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
    return classifySdkError(error, this.#scope, this.#sdk.errors);
  }

  protected override async listModels(signal: AbortSignal | undefined): Promise<void> {
    const client = await this.#sdk.client();
    await client.models.list({ limit: 1 }, { signal, maxRetries: 0 });
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
