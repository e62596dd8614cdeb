import type Anthropic from '@anthropic-ai/sdk';
import type { APIError } from '@anthropic-ai/sdk';
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
import { checkAnthropicOptions } from './checks.js';
import { envVar, SdkClient, type SdkSpec } from './sdk.js';
import { secretsOf } from './secrets.js';

// Added to a body we just built (`Object.assign`: a spread of the body that adds keys costs V8 its fast path).
const NOT_STREAMED = Object.freeze({ stream: false } as const);
const STREAMED = Object.freeze({ stream: true } as const);

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
export interface AnthropicLLMOptions extends TimeoutOptions, ContentOptions {
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

export { DEFAULT_ANTHROPIC_MAX_TOKENS } from './defaults.js';

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
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<Completion> {
    const client = await this.#sdk.client();
    const message = await withHeaders(
      client.messages.create(Object.assign(this.#body(request), NOT_STREAMED), { signal, maxRetries: 0 }),
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
    const client = await this.#sdk.client();
    const events = await withHeaders(
      client.messages.create(Object.assign(this.#body(request), STREAMED), { signal, maxRetries: 0 }),
      onHeaders,
    );
    const answer = answerTool(request)?.name;
    return answer === undefined ? events : answerAsText(events, answer);
  }

  protected read(event: unknown): StreamUpdate | undefined {
    return anthropicStreamUpdate(event);
  }

  protected classify(error: unknown): unknown {
    return classifySdkError(error, this.#scope, this.#sdk.errors);
  }

  protected override async listModels(signal: AbortSignal | undefined): Promise<void> {
    const client = await this.#sdk.client();
    await client.models.list({ limit: 1 }, { signal, maxRetries: 0 });
  }

  #body(request: ProviderRequest): ReturnType<typeof anthropicBody> {
    return anthropicBody(request, this.model, this.settings(request.options));
  }
}
