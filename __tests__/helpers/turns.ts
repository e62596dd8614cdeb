import '../../lib/index.js';
import type { CallContext } from '../../lib/context.js';
import { LLM, type LLMRequest } from '../../lib/llm.js';
import type { AssistantPart, Reply, StreamChunk, ToolCall } from '../../lib/types.js';

/** A turn the scripted model answers with: tool calls, or a final text. */
export type Turn = readonly ToolCall[] | string;

/** An in-process model answering each `ask` with the next scripted turn, recording every request. */
export class TurnLLM extends LLM {
  readonly model = 'turns';
  readonly provider = 'openai' as const;
  readonly requests: LLMRequest[] = [];
  readonly #turns: readonly Turn[];

  constructor(turns: readonly Turn[]) {
    super();
    this.#turns = turns;
  }

  describe(): string {
    return 'turns';
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    ctx.signal?.throwIfAborted();
    const turn = this.#turns[this.requests.length] ?? 'done';
    this.requests.push(request);
    const toolCalls = typeof turn === 'string' ? [] : turn;
    const content: AssistantPart[] =
      typeof turn === 'string'
        ? [{ type: 'text', text: turn }]
        : turn.map((c) => ({ type: 'tool-call', ...c }));
    return {
      text: typeof turn === 'string' ? turn : '',
      content,
      toolCalls,
      model: this.model,
      provider: this.provider,
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      stopReason: toolCalls.length > 0 ? 'tool-calls' : 'stop',
      finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      raw: {},
      attempts: ctx.attempts,
    };
  }

  // eslint-disable-next-line require-yield
  async *_stream(): AsyncGenerator<StreamChunk, Reply, undefined> {
    throw new Error('not used');
  }
}
