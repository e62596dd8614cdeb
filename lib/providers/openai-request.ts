import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionContentPart,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { outputText } from '../content/json.js';
import { dataUrl, fileBase64, imageSource } from '../content/media.js';
import type { ProviderRequest } from '../content/prepare.js';
import { OPENAI_TOOL_IDS, toolIdRewrites } from '../content/tool-ids.js';
import { UnsupportedRequestError } from '../errors/classes.js';
import type { AssistantPart, Message, UserPart } from '../types.js';

/** The call settings that reach the body: the call's own, else the provider's defaults. */
export interface OpenAISettings {
  readonly system?: string | undefined;
  readonly temperature?: number | undefined;
  readonly maxTokens?: number | undefined;
}

/** The only file type the chat-completions API reads. */
const OPENAI_FILE_TYPES = new Set(['application/pdf']);

/**
 * The chat-completions body of a request: messages (parts, tool calls and results
 * translated, tool-call ids OpenAI would reject rewritten), tools, `tool_choice`,
 * `response_format` for `schema`/`choices`, then the deprecated `extra` and
 * `providerOptions.openai` as they are (`model` and `messages` stay ours).
 */
export function openaiBody(
  request: ProviderRequest,
  model: string,
  settings: OpenAISettings,
): ChatCompletionCreateParamsBase {
  const { options, tools, toolChoice, output, providerFields } = request;
  const { system, temperature, maxTokens } = settings;
  const messages: ChatCompletionMessageParam[] =
    system === undefined ? [] : [{ role: 'system', content: system }];
  const ids = toolIdRewrites(request.messages, OPENAI_TOOL_IDS);
  const id = (original: string): string => ids.get(original) ?? original;
  request.messages.forEach((message, i) => messages.push(...openaiMessages(message, i, id, model)));
  const { extra } = options;
  // The usual body, built as one literal: the spreads below cost V8 its fast path even when they add nothing.
  const bare =
    extra === undefined &&
    temperature === undefined &&
    maxTokens === undefined &&
    tools.length === 0 &&
    toolChoice === undefined &&
    output === undefined &&
    providerFields === undefined;
  if (bare) return { model, messages };
  return {
    ...extra,
    ...(temperature === undefined ? {} : { temperature }),
    ...(maxTokens === undefined ? {} : { max_completion_tokens: maxTokens }),
    ...(tools.length === 0 ? {} : { tools: tools.map(openaiTool) }),
    ...(toolChoice === undefined ? {} : { tool_choice: openaiToolChoice(toolChoice) }),
    ...(output === undefined
      ? {}
      : {
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: output.name,
              ...(output.description === undefined ? {} : { description: output.description }),
              schema: output.jsonSchema as Record<string, unknown>,
              strict: output.strict,
            },
          },
        }),
    ...providerFields,
    model,
    messages,
  };
}

function openaiMessages(
  message: Message,
  i: number,
  id: (original: string) => string,
  model: string,
): ChatCompletionMessageParam[] {
  switch (message.role) {
    case 'system':
      return [{ role: 'system', content: message.content }];
    case 'user':
      return [
        {
          role: 'user',
          content:
            typeof message.content === 'string'
              ? message.content
              : message.content.map((part, j) => userPart(part, `messages[${i}].content[${j}]`, model)),
        },
      ];
    case 'assistant':
      return [
        typeof message.content === 'string'
          ? { role: 'assistant', content: message.content }
          : assistant(message.content, id),
      ];
    case 'tool':
      return message.content.map((result) => ({
        role: 'tool' as const,
        tool_call_id: id(result.toolCallId),
        content: outputText(result.output),
      }));
  }
}

function userPart(part: UserPart, where: string, model: string): ChatCompletionContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const source = imageSource(part, where);
      const url = source.kind === 'url' ? source.url : dataUrl(source.mediaType, source.data);
      return { type: 'image_url', image_url: { url } };
    }
    case 'file': {
      if (!OPENAI_FILE_TYPES.has(part.mediaType.toLowerCase())) {
        throw new UnsupportedRequestError(
          `${where} (file): OpenAI chat completions read PDF files only, got ${JSON.stringify(part.mediaType)}`,
          ['files'],
          { provider: 'openai', model },
        );
      }
      return {
        type: 'file',
        file: {
          file_data: dataUrl(part.mediaType, fileBase64(part)),
          filename: part.filename ?? 'document.pdf',
        },
      };
    }
  }
}

/** Text parts joined as the content (`null` with tool calls and no text); reasoning has no place here and is left out. */
function assistant(
  parts: readonly AssistantPart[],
  id: (original: string) => string,
): ChatCompletionAssistantMessageParam {
  let text = '';
  const calls: NonNullable<ChatCompletionAssistantMessageParam['tool_calls']> = [];
  for (const part of parts) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-call') {
      calls.push({
        id: id(part.id),
        type: 'function',
        function: { name: part.name, arguments: JSON.stringify(part.input ?? {}) },
      });
    }
  }
  if (calls.length === 0) return { role: 'assistant', content: text };
  return { role: 'assistant', content: text === '' ? null : text, tool_calls: calls };
}

function openaiTool(tool: ProviderRequest['tools'][number]): ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.parameters as Record<string, unknown>,
      ...(tool.strict ? { strict: true } : {}),
    },
  };
}

function openaiToolChoice(
  choice: NonNullable<ProviderRequest['toolChoice']>,
): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}
