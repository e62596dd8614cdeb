/**
 * Provider-shaped error bodies for `status=` and `error=` faults: realistic types, codes
 * and messages per status, for the OpenAI and Anthropic wire formats.
 */
import type { FaultSpec } from './spec.js';

/** An error as the OpenAI API describes it (`{"error": {…}}`). */
export interface OpenAIErrorDetail {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** An error as the Anthropic API describes it (`{"type":"error","error":{…}}`). */
export interface AnthropicErrorDetail {
  type: string;
  message: string;
}

/** Both providers' descriptions of one fault, plus the status it is sent with. */
export interface ErrorDescription {
  status: number;
  openai: OpenAIErrorDetail;
  anthropic: AnthropicErrorDetail;
}

const oa = (type: string, code: string | null, message: string, param: string | null = null) => ({
  type,
  code,
  message,
  param,
});

function byStatus(status: number, baseModel: string, wait: string): Omit<ErrorDescription, 'status'> {
  switch (status) {
    case 400:
      return {
        openai: oa('invalid_request_error', null, 'Invalid request.'),
        anthropic: { type: 'invalid_request_error', message: 'Invalid request.' },
      };
    case 401:
      return {
        openai: oa(
          'invalid_request_error',
          'invalid_api_key',
          'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        ),
        anthropic: { type: 'authentication_error', message: 'invalid x-api-key' },
      };
    case 403:
      return {
        openai: oa('permission_error', 'permission_denied', 'You are not allowed to perform this request.'),
        anthropic: {
          type: 'permission_error',
          message: 'Your API key does not have permission to use the specified resource.',
        },
      };
    case 404:
      return {
        openai: oa(
          'invalid_request_error',
          'model_not_found',
          `The model \`${baseModel}\` does not exist or you do not have access to it.`,
        ),
        anthropic: { type: 'not_found_error', message: `model: ${baseModel}` },
      };
    case 408:
      return {
        openai: oa('timeout_error', 'timeout', 'Request timed out.'),
        anthropic: { type: 'timeout_error', message: 'Request timed out.' },
      };
    case 413:
      return {
        openai: oa('invalid_request_error', 'request_too_large', 'Request exceeds the maximum allowed size.'),
        anthropic: {
          type: 'request_too_large',
          message: 'Request exceeds the maximum allowed number of bytes.',
        },
      };
    case 429:
      return {
        openai: oa(
          'requests',
          'rate_limit_exceeded',
          `Rate limit reached for ${baseModel} in organization org-fault on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${wait}.`,
        ),
        anthropic: {
          type: 'rate_limit_error',
          message: 'This request would exceed the rate limit for your organization. Please try again later.',
        },
      };
    case 500:
      return {
        openai: oa(
          'server_error',
          'server_error',
          'The server had an error while processing your request. Sorry about that!',
        ),
        anthropic: { type: 'api_error', message: 'Internal server error' },
      };
    case 503:
    case 529:
      return {
        openai: oa('server_error', 'service_unavailable', 'The server is overloaded or not ready yet.'),
        anthropic: { type: 'overloaded_error', message: 'Overloaded' },
      };
    case 504:
      return {
        openai: oa('server_error', 'timeout', 'Gateway timeout.'),
        anthropic: { type: 'timeout_error', message: 'Request timed out.' },
      };
    default:
      return status >= 500
        ? {
            openai: oa('server_error', 'server_error', `Server error (${status}).`),
            anthropic: { type: 'api_error', message: `Server error (${status}).` },
          }
        : {
            openai: oa('invalid_request_error', null, `Request failed (${status}).`),
            anthropic: { type: 'invalid_request_error', message: `Request failed (${status}).` },
          };
  }
}

function byCode(code: string): Omit<ErrorDescription, 'status'> & { defaultStatus: number } {
  switch (code) {
    case 'insufficient_quota':
      return {
        defaultStatus: 429,
        openai: oa(
          'insufficient_quota',
          'insufficient_quota',
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        ),
        anthropic: {
          type: 'billing_error',
          message:
            'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        },
      };
    case 'context_length_exceeded':
      return {
        defaultStatus: 400,
        openai: oa(
          'invalid_request_error',
          'context_length_exceeded',
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
          'messages',
        ),
        anthropic: {
          type: 'invalid_request_error',
          message: 'prompt is too long: 210000 tokens > 200000 maximum',
        },
      };
    case 'content_filter':
      return {
        defaultStatus: 400,
        openai: oa(
          'invalid_request_error',
          'content_policy_violation',
          'Your request was rejected as a result of our safety system: the prompt triggered the content management policy. Please modify your prompt and retry.',
        ),
        anthropic: { type: 'invalid_request_error', message: 'Output blocked by content filtering policy' },
      };
    default:
      return {
        defaultStatus: 400,
        openai: oa(code, code, `Simulated ${code} error.`),
        anthropic: { type: code, message: `Simulated ${code} error.` },
      };
  }
}

/** The wait a 429's message names, as OpenAI words it: the spec's own Retry-After, else 20s. */
function waitText(spec: FaultSpec): string {
  if (spec.retry_after_ms !== undefined) return `${spec.retry_after_ms}ms`;
  const seconds = Number(spec.retry_after);
  return spec.retry_after !== undefined && Number.isFinite(seconds) ? `${seconds}s` : '20s';
}

/**
 * Describes the error a spec asks for, or `undefined` when it asks for none.
 * `error=` picks the type, code and message; `status=` picks the status (default: 429 for
 * `insufficient_quota`, 400 for other codes).
 */
export function describeError(spec: FaultSpec, baseModel: string): ErrorDescription | undefined {
  if (spec.error !== undefined) {
    const { defaultStatus, ...detail } = byCode(spec.error);
    return { status: spec.status ?? defaultStatus, ...detail };
  }
  if (spec.status !== undefined && spec.status >= 400) {
    return { status: spec.status, ...byStatus(spec.status, baseModel, waitText(spec)) };
  }
  return undefined;
}
