/**
 * Loads a provider's SDK on first use, so that importing this package loads neither SDK and a
 * user with one of them installed can use that provider. Both SDKs are optional peer dependencies.
 *
 * - A client the user passes in is used as it is, and its own class supplies the error classes
 *   (`OpenAI.APIError`, `Anthropic.APIError`…): no SDK is loaded, and `instanceof` matches whatever
 *   copy of the SDK built that client (its ES module or its CommonJS build).
 * - Otherwise the SDK is loaded on the first call (see `importOptional`) and the client is built
 *   then, once per LLM.
 * - No API key, or no SDK, is an `LLMError` raised by the call (`AuthenticationError`,
 *   `ProviderError`), never at construction: a fallback chain then applies its rules to it, so a
 *   chain built where one provider's key or SDK is absent still serves from the others.
 */
import { AuthenticationError, ProviderError } from '../errors/classes.js';
import type { ErrorScope, SdkErrors } from '../errors/classify.js';
import { importOptional, isNotInstalled } from '../optional.js';

/** What a provider needs to know about its SDK package. */
export interface SdkSpec {
  /** The npm package, e.g. `openai`. */
  readonly package: 'openai' | '@anthropic-ai/sdk';
  /** The majors this package supports, as in its `peerDependencies`. */
  readonly supported: string;
  /** The class the user constructs, for messages: `OpenAILLM`. */
  readonly user: string;
  /** The environment variables that can hold the credentials, in the order the SDK reads them. */
  readonly env: readonly string[];
}

/** The error classes every SDK client class carries as static members (`OpenAI.APIError`…). */
type ClientClass<E extends Error> = Omit<SdkErrors<E>, 'facts'>;

const loaded = new Map<string, Promise<unknown>>();

/** The SDK module's client class, loaded once per process; a missing package rejects with `ProviderError`. */
function loadClientClass(spec: SdkSpec, scope: ErrorScope): Promise<unknown> {
  let promise = loaded.get(spec.package);
  if (promise === undefined) {
    promise = importOptional(spec.package).then(
      (module) => (module as { default?: unknown }).default ?? module,
      (error: unknown) => {
        loaded.delete(spec.package); // installing the package later makes the next call work
        throw isNotInstalled(error, spec.package)
          ? new ProviderError(
              `${spec.user} needs the \`${spec.package}\` package, which is not installed: ` +
                `npm install ${spec.package} (supported: ${spec.supported})`,
              { provider: scope.provider, model: scope.model, cause: error },
            )
          : error;
      },
    );
    loaded.set(spec.package, promise);
  }
  return promise;
}

/** An environment variable, where there is a `process` (not in every runtime). */
export function envVar(name: string): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[
    name
  ];
  return value === '' ? undefined : value;
}

/** How a provider builds its client once the SDK is loaded. */
export interface SdkClientOptions<C> {
  readonly spec: SdkSpec;
  readonly scope: ErrorScope;
  /** A ready client the user passed in. */
  readonly client: C | undefined;
  /** Whether credentials were given (an option, an environment variable, or an auth header). */
  readonly hasCredentials: boolean;
  /** Builds the client from the SDK's client class. */
  readonly create: (ClientClass: new (options: never) => C) => C;
}

/**
 * One LLM's SDK client, built on the first call. `errors` are the SDK's error classes as soon
 * as they are known (at once for a client passed in), for the synchronous classifier.
 */
export class SdkClient<C extends object, E extends Error> {
  readonly #options: SdkClientOptions<C>;
  readonly #facts: SdkErrors<E>['facts'];
  #errors: SdkErrors<E> | undefined;
  #client: Promise<C> | undefined;

  constructor(options: SdkClientOptions<C>, facts: SdkErrors<E>['facts']) {
    this.#options = options;
    this.#facts = facts;
    if (options.client !== undefined) this.#errors = this.#errorsOf(options.client.constructor);
  }

  /** The SDK's error classes, once the SDK (or the user's client) is known. */
  get errors(): SdkErrors<E> | undefined {
    return this.#errors;
  }

  /** The client: the user's, or one built on first use. Rejects with an `LLMError` without SDK or credentials. */
  client(): Promise<C> {
    if (this.#client !== undefined) return this.#client;
    const client = this.#build();
    this.#client = client;
    // A failure is not kept: the next call tries again (the package or the key may have appeared).
    client.catch(() => {
      if (this.#client === client) this.#client = undefined;
    });
    return client;
  }

  async #build(): Promise<C> {
    const { spec, scope, client, hasCredentials, create } = this.#options;
    if (client !== undefined) return client;
    const ClientClass = (await loadClientClass(spec, scope)) as new (options: never) => C;
    this.#errors ??= this.#errorsOf(ClientClass);
    if (!hasCredentials) {
      throw new AuthenticationError(
        `No API key for ${spec.user}: pass \`apiKey\` to new ${spec.user}(…) or set the ` +
          `${spec.env.join(' or ')} environment variable`,
        { provider: scope.provider, model: scope.model },
      );
    }
    return create(ClientClass);
  }

  #errorsOf(ctor: unknown): SdkErrors<E> | undefined {
    const classes = ctor as Partial<ClientClass<E>> | undefined;
    const { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } = classes ?? {};
    if (!APIError || !APIConnectionError || !APIConnectionTimeoutError || !APIUserAbortError)
      return undefined;
    return { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError, facts: this.#facts };
  }
}
