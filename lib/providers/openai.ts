import type OpenAI from 'openai';
import type { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { classifySdkError, type ErrorScope, type SdkErrors } from '../errors/classify.js';
import type { TimeoutOptions } from '../types.js';
import type { ContentOptions } from './defaults.js';
import { openaiBody } from './openai-request.js';
import { openaiCompletion, openaiStreamUpdate } from './openai-reply.js';
import {
  type Completion,
  type HeaderListener,
  ProviderLLM,
  type ProviderRequest,
  type StreamUpdate,
  withHeaders,
} from './provider.js';
import { checkOpenAIOptions } from './checks.js';
import { envVar, SdkClient, type SdkSpec } from './sdk.js';
import { secretsOf } from './secrets.js';

// Added to a body we just built (`Object.assign`: a spread of the body that adds keys costs V8 its fast path).
const NOT_STREAMED = Object.freeze({ stream: false } as const);

/** A body asking for a stream with usage in its last event (`stream_options` fresh: the SDK gets its own). */
function streamed<B extends object>(body: B): B & { stream: true; stream_options: { include_usage: true } } {
  return Object.assign(body, { stream: true as const, stream_options: { include_usage: true as const } });
}

/**
 * What {@link OpenAILLM} needs of a ready client: any `new OpenAI(…)` (openai 6 or 7) fits. Typed
 * by shape so that these declarations do not import `openai`, which is an optional peer dependency.
 */
export interface OpenAIClientLike {
  readonly apiKey?: unknown;
  readonly chat: { readonly completions: { create(body: never, options?: never): unknown } };
  readonly models: { list(options?: never): unknown };
}

/** Options of {@link OpenAILLM}: a ready `client`, or the usual client options. */
export interface OpenAILLMOptions extends TimeoutOptions, ContentOptions {
  /** A ready client (`new OpenAI(…)`). Its own retries are bypassed: each request is sent with `maxRetries: 0`. */
  readonly client?: OpenAIClientLike;
  /** @default process.env.OPENAI_API_KEY */
  readonly apiKey?: string;
  /** Any OpenAI-compatible server, e.g. `http://localhost:11434/v1` for Ollama. */
  readonly baseURL?: string;
  readonly organization?: string;
  readonly project?: string;
  readonly defaultHeaders?: Record<string, string>;
  readonly fetch?: typeof fetch;
  /** Defaults for every call; call options override them. */
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly system?: string;
}

const SDK: SdkSpec = {
  package: 'openai',
  supported: '^6 || ^7',
  user: 'OpenAILLM',
  env: ['OPENAI_API_KEY'],
};

const facts: SdkErrors<APIError>['facts'] = (e) => ({
  status: e.status,
  type: e.type,
  code: e.code,
  message: e.message,
  headers: e.headers,
  requestId: e.requestID,
});

/**
 * Chat completions through the official `openai` package, on OpenAI or any OpenAI-compatible server.
 *
 * @example
 * const llm = new OpenAILLM('gpt-4o-mini', { timeout: 30_000 });
 * const ollama = new OpenAILLM('llama3.1', { baseURL: 'http://localhost:11434/v1', apiKey: 'ollama' });
 */
export class OpenAILLM extends ProviderLLM {
  readonly provider = 'openai' as const;
  readonly #sdk: SdkClient<OpenAI, APIError>;
  readonly #scope: ErrorScope;

  constructor(model: string, options: OpenAILLMOptions = {}) {
    super(model, checkOpenAIOptions(options));
    const { client, baseURL, organization, project, defaultHeaders, fetch } = options;
    // The SDK reads the environment when a client is built; we read it here, once, as it would.
    const apiKey = options.apiKey ?? envVar('OPENAI_API_KEY');
    this.#scope = { provider: 'openai', model, secrets: secretsOf(client?.apiKey, apiKey) };
    this.#sdk = new SdkClient<OpenAI, APIError>(
      {
        spec: SDK,
        scope: this.#scope,
        client: client as OpenAI | undefined,
        hasCredentials: apiKey !== undefined && apiKey !== '',
        create: (OpenAIClient) =>
          new (OpenAIClient as typeof OpenAI)({
            apiKey,
            baseURL,
            organization,
            project,
            defaultHeaders,
            fetch,
            maxRetries: 0,
          }),
      },
      facts,
    );
    if (new.target === OpenAILLM) Object.freeze(this); // a subclass freezes itself, once built
  }

  protected async complete(
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<Completion> {
    const client = await this.#sdk.client();
    const response = await withHeaders(
      client.chat.completions.create(Object.assign(this.#body(request), NOT_STREAMED), {
        signal,
        maxRetries: 0,
      }),
      onHeaders,
    );
    return openaiCompletion(response, { provider: 'openai', model: this.model });
  }

  protected async open(
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<AsyncIterable<unknown>> {
    const client = await this.#sdk.client();
    return withHeaders(
      client.chat.completions.create(streamed(this.#body(request)), {
        signal,
        maxRetries: 0,
      }),
      onHeaders,
    );
  }

  protected read(event: unknown): StreamUpdate | undefined {
    return openaiStreamUpdate(event as ChatCompletionChunk);
  }

  protected classify(error: unknown): unknown {
    return classifySdkError(error, this.#scope, this.#sdk.errors);
  }

  protected override async listModels(signal: AbortSignal | undefined): Promise<void> {
    const client = await this.#sdk.client();
    await client.models.list({ signal, maxRetries: 0 });
  }

  #body(request: ProviderRequest): ReturnType<typeof openaiBody> {
    return openaiBody(request, this.model, this.settings(request.options));
  }
}
