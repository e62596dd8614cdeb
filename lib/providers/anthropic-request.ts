import type {
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  Tool,
  ToolChoice as AnthropicToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { outputText } from '../content/json.js';
import { fileBase64, imageSource } from '../content/media.js';
import type { ProviderRequest } from '../content/prepare.js';
import { ANTHROPIC_TOOL_IDS, toolIdRewrites } from '../content/tool-ids.js';
import { UnsupportedRequestError } from '../errors/classes.js';
import type { AssistantPart, ToolChoice, UserPart } from '../types.js';
import { DEFAULT_ANTHROPIC_MAX_TOKENS } from './defaults.js';

/** The call settings that reach the body: the call's own, else the provider's defaults. */
export interface AnthropicSettings {
  readonly system?: string | undefined;
  readonly temperature?: number | undefined;
  readonly maxTokens?: number | undefined;
}

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * The messages-API body of a request: system messages gathered into `system`; parts, tool
 * calls and results translated (results, and a user turn right after them, merged into one
 * user turn; ids Anthropic would reject rewritten); reasoning sent back as `thinking` when it
 * carries its signature; tools, `tool_choice`; `schema`/`choices` as one more tool, forced when
 * it is the only one (see `answerTool`); then the deprecated `extra` and
 * `providerOptions.anthropic` as they are (`model` and `messages` stay ours).
 */
export function anthropicBody(
  request: ProviderRequest,
  model: string,
  settings: AnthropicSettings,
): MessageCreateParamsBase {
  const { options, providerFields } = request;
  const system: string[] = settings.system === undefined ? [] : [settings.system];
  const ids = toolIdRewrites(request.messages, ANTHROPIC_TOOL_IDS);
  const id = (original: string): string => ids.get(original) ?? original;
  const turns: MessageParam[] = [];
  request.messages.forEach((message, i) => {
    if (message.role === 'system') system.push(message.content);
    else if (message.role === 'user') {
      const { content } = message;
      push(
        turns,
        'user',
        typeof content === 'string'
          ? content
          : content.map((p, j) => userBlock(p, `messages[${i}].content[${j}]`, model)),
      );
    } else if (message.role === 'assistant') {
      const { content } = message;
      const blocks = typeof content === 'string' ? content : assistantBlocks(content, id);
      if (blocks.length > 0) push(turns, 'assistant', blocks); // nothing Anthropic can take: no empty turn
    } else {
      push(
        turns,
        'user',
        message.content.map((r) => ({
          type: 'tool_result' as const,
          tool_use_id: id(r.toolCallId),
          content: outputText(r.output),
          ...(r.isError ? { is_error: true } : {}),
        })),
      );
    }
  });
  const { tools, toolChoice } = toolsOf(request);
  const maxTokens = settings.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS;
  const { extra } = options;
  // The usual body, built as one literal: the spreads below cost V8 its fast path even when they add nothing.
  const bare =
    extra === undefined &&
    system.length === 0 &&
    settings.temperature === undefined &&
    tools.length === 0 &&
    toolChoice === undefined &&
    providerFields === undefined;
  if (bare) return { max_tokens: maxTokens, model, messages: turns };
  return {
    ...extra,
    max_tokens: maxTokens,
    ...(system.length === 0 ? {} : { system: system.join('\n\n') }),
    ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
    ...(tools.length === 0 ? {} : { tools }),
    ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
    ...providerFields,
    model,
    messages: turns,
  };
}

/**
 * The tool a structured answer is asked through: the schema as a tool's input, forced with
 * `tool_choice: { type: 'tool' }` when it is the only tool (with other tools, `any`: the model
 * calls one of them, or answers). Chosen over the native `output_config.format` because it
 * works on every Claude model and on both supported SDK lines (0.71 has the native one only
 * in beta); the answer tool's input is read back as the answer's JSON text.
 */
export function answerTool(request: ProviderRequest): Tool | undefined {
  const { output } = request;
  if (output === undefined) return undefined;
  return {
    name: output.name,
    description: output.description ?? 'Give the answer as this tool’s input.',
    input_schema: output.jsonSchema as Tool['input_schema'],
  };
}

function toolsOf(request: ProviderRequest): { tools: Tool[]; toolChoice: AnthropicToolChoice | undefined } {
  const tools: Tool[] = request.tools.map((t) => ({
    name: t.name,
    ...(t.description === undefined ? {} : { description: t.description }),
    input_schema: t.parameters as Tool['input_schema'],
  }));
  const answer = answerTool(request);
  let toolChoice = request.toolChoice === undefined ? undefined : anthropicToolChoice(request.toolChoice);
  if (answer) {
    if (tools.some((t) => t.name === answer.name)) {
      throw new TypeError(
        `the structured-output name "${answer.name}" is also a tool's name: rename one (\`schema.name\`)`,
      );
    }
    if (tools.length === 0) toolChoice = { type: 'tool', name: answer.name };
    else if (toolChoice === undefined || toolChoice.type === 'auto') toolChoice = { type: 'any' };
    tools.push(answer);
  }
  return { tools, toolChoice };
}

function anthropicToolChoice(choice: ToolChoice): AnthropicToolChoice {
  if (typeof choice === 'object') return { type: 'tool', name: choice.name };
  return choice === 'required' ? { type: 'any' } : { type: choice };
}

/** Appends a turn, merging it into the previous one of the same role (tool results, then the user's next words). */
function push(
  turns: MessageParam[],
  role: 'user' | 'assistant',
  content: string | ContentBlockParam[],
): void {
  const last = turns[turns.length - 1];
  if (last?.role !== role) {
    turns.push({ role, content });
    return;
  }
  last.content = [...blocks(last.content), ...blocks(content)];
}

function blocks(content: MessageParam['content']): ContentBlockParam[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function userBlock(part: UserPart, where: string, model: string): ContentBlockParam {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const source = imageSource(part, where);
      if (source.kind === 'url') return { type: 'image', source: { type: 'url', url: source.url } };
      const mediaType = source.mediaType.toLowerCase();
      if (!IMAGE_TYPES.has(mediaType))
        throw unsupported(
          `${where} (image): Anthropic reads JPEG, PNG, GIF and WebP images, got ${JSON.stringify(mediaType)}`,
          'images',
          model,
        );
      return {
        type: 'image',
        source: { type: 'base64', media_type: mediaType as 'image/png', data: source.data },
      };
    }
    case 'file': {
      const mediaType = part.mediaType.toLowerCase();
      const title = part.filename === undefined ? {} : { title: part.filename };
      if (mediaType === 'application/pdf') {
        return {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data: fileBase64(part) },
          ...title,
        };
      }
      if (mediaType === 'text/plain') {
        const data = Buffer.from(fileBase64(part), 'base64').toString('utf8');
        return { type: 'document', source: { type: 'text', media_type: 'text/plain', data }, ...title };
      }
      throw unsupported(
        `${where} (file): Anthropic reads PDF and plain-text documents, got ${JSON.stringify(part.mediaType)}`,
        'files',
        model,
      );
    }
  }
}

/**
 * An assistant turn's blocks: redacted reasoning as `redacted_thinking`, reasoning with a signature
 * as `thinking` (one without — from another provider — cannot be verified by Anthropic and is left
 * out), non-empty text, tool calls.
 */
function assistantBlocks(
  parts: readonly AssistantPart[],
  id: (original: string) => string,
): ContentBlockParam[] {
  const out: ContentBlockParam[] = [];
  for (const part of parts) {
    if (part.type === 'reasoning') {
      if (part.redacted !== undefined) out.push({ type: 'redacted_thinking', data: part.redacted });
      else if (part.signature) out.push({ type: 'thinking', thinking: part.text, signature: part.signature });
    } else if (part.type === 'text') {
      if (part.text !== '') out.push({ type: 'text', text: part.text });
    } else {
      out.push({ type: 'tool_use', id: id(part.id), name: part.name, input: part.input ?? {} });
    }
  }
  return out;
}

function unsupported(message: string, capability: string, model: string): UnsupportedRequestError {
  return new UnsupportedRequestError(message, [capability], { provider: 'anthropic', model });
}
