/**
 * What the limiter's token estimate counts in a request, before any tokenizer runs: the texts
 * the model reads (each counted with the provider's tokenizer and framed like a message) and
 * the tokens that are not text — images and files — at the providers' published costs, roughly:
 *
 * - an image: OpenAI 765 tokens (a 1024×1024 image at high detail: 85 + 4 tiles × 170);
 *   Anthropic 1600 (width × height / 750 for an image of ~1.15 megapixels, the size it
 *   resizes larger ones to). The size is not read from the image: a small one is overestimated,
 *   the safe side for a limiter;
 * - a file (a PDF): 3000 tokens a page (the providers read each page as text and as an image),
 *   pages counted from the PDF's page objects, else one page per 50 kB;
 * - tool definitions: each tool's name, description and parameters' JSON Schema as text; a
 *   structured-output schema (`schema`, `choices`) likewise.
 */
import { readableText } from '../../content/text.js';
import type { LLMRequest } from '../../llm.js';
import { isStandardSchema, standardJsonSchemaNow } from '../../schema/convert.js';
import type { Provider, UserPart } from '../../types.js';

/** What {@link estimateInput} gives the tokenizer: texts to count, and tokens that are not text. */
export interface EstimateInput {
  /** Each a message, the system prompt, a tool definition or the schema, framed as one message. */
  readonly texts: readonly string[];
  /** Images and files, at the providers' published costs. */
  readonly fixedTokens: number;
}

/** Tokens of one image, by provider. */
export const IMAGE_TOKENS: Readonly<Record<Provider, number>> = Object.freeze({
  openai: 765,
  anthropic: 1600,
});
/** Tokens of one page of a file. */
export const FILE_PAGE_TOKENS = 3000;
const BYTES_PER_PAGE = 50_000;

/**
 * The texts and the non-text tokens of `request`, as `provider` would receive it.
 *
 * @example
 * estimateInput({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image', image: url }] }], options: {} }, 'openai');
 * // { texts: ['Hi'], fixedTokens: 765 }
 */
export function estimateInput(request: LLMRequest, provider: Provider): EstimateInput {
  const { messages, options } = request;
  const texts: string[] = [];
  let fixedTokens = 0;
  if (options.system !== undefined) texts.push(options.system);
  for (const message of messages) {
    texts.push(readableText(message));
    if (message.role !== 'user' || typeof message.content === 'string') continue;
    for (const part of message.content) fixedTokens += partTokens(part, provider);
  }
  for (const tool of options.tools ?? []) {
    texts.push(`${tool.name} ${tool.description ?? ''} ${schemaText(tool.parameters)}`);
  }
  const { schema, choices } = options;
  if (schema !== undefined) {
    texts.push(
      isStandardSchema(schema) ? schemaText(schema) : `${schema.name ?? ''} ${schemaText(schema.schema)}`,
    );
  }
  if (choices !== undefined) texts.push(choices.join(' '));
  return { texts, fixedTokens };
}

function partTokens(part: UserPart, provider: Provider): number {
  if (part.type === 'image') return IMAGE_TOKENS[provider];
  if (part.type === 'file') return FILE_PAGE_TOKENS * pages(part.data);
  return 0;
}

/** A PDF's page count from its `/Type /Page` objects; else one page per 50 kB; at least one. */
function pages(data: string | Uint8Array): number {
  const bytes =
    typeof data === 'string'
      ? Buffer.from(data, 'base64')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const found = bytes.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
  return Math.max(1, found || Math.ceil(bytes.byteLength / BYTES_PER_PAGE));
}

/** A schema as the model reads it: its JSON Schema's text. */
function schemaText(schema: object): string {
  const json = isStandardSchema(schema) ? standardJsonSchemaNow(schema) : schema;
  return JSON.stringify(json ?? {});
}
