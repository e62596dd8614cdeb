import type { LLMErrorOptions } from '../errors/classes.js';
import type { AssistantPart, StreamChunk } from '../types.js';
import { parseToolInput } from './json.js';

/** A piece of a streamed tool call: its position in the answer, and what the event carried. */
export interface ToolCallDelta {
  /** The provider's index of the call (OpenAI `tool_calls[].index`, Anthropic's content block index). */
  readonly index: number;
  /** Sent with the call's first piece. */
  readonly id?: string;
  readonly name?: string;
  readonly inputDelta?: string;
}

interface OpenCall {
  id: string;
  name: string;
  args: string;
  /** Where its part sits in `parts`. */
  readonly slot: number;
}

type Building =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string; signature?: string; redacted?: string }
  | { type: 'tool-call'; id: string; name: string; input: unknown; complete: boolean };

/**
 * Builds an assistant turn from a stream's pieces, in arrival order, and says which chunks to
 * show: text and reasoning as they come, `tool-call-delta` for each piece of a call's
 * arguments, and `tool-call` once a call is complete (its arguments parsed). A call is complete
 * when the provider ends its block, when another call starts, or when the answer finishes.
 */
export class PartsBuilder {
  readonly #parts: Building[] = [];
  readonly #open = new Map<number, OpenCall>();
  readonly #context: LLMErrorOptions;
  #text = '';
  /** The next text or reasoning starts a part of its own. */
  #fresh = false;

  constructor(context: LLMErrorOptions) {
    this.#context = context;
  }

  /** The answer text so far. */
  get shownText(): string {
    return this.#text;
  }

  addText(delta: string): StreamChunk {
    this.#text += delta;
    const last = this.#last();
    if (last?.type === 'text') last.text += delta;
    else this.#parts.push({ type: 'text', text: delta });
    return { type: 'text', text: delta };
  }

  addReasoning(delta: string): StreamChunk | undefined {
    const last = this.#last();
    if (last?.type === 'reasoning') last.text += delta;
    else this.#parts.push({ type: 'reasoning', text: delta });
    return delta === '' ? undefined : { type: 'reasoning', text: delta };
  }

  /** The signature of the reasoning just streamed (Anthropic sends it after the thinking text). */
  addSignature(signature: string): void {
    const last = this.#parts[this.#parts.length - 1];
    if (last?.type === 'reasoning') last.signature = (last.signature ?? '') + signature;
    else this.#parts.push({ type: 'reasoning', text: '', signature });
  }

  /**
   * Reasoning the provider encrypted (Anthropic `redacted_thinking`, sent whole): a part of its
   * own, kept for the next turn; nothing to show.
   */
  addRedacted(data: string): void {
    this.#parts.push({ type: 'reasoning', text: '', redacted: data });
    this.#fresh = true;
  }

  /** A piece of a tool call; a call starting completes any other open one. */
  toolDelta(delta: ToolCallDelta): StreamChunk[] {
    const chunks: StreamChunk[] = [];
    let call = this.#open.get(delta.index);
    if (call === undefined) {
      for (const index of [...this.#open.keys()]) chunks.push(this.endTool(index)!);
      call = {
        id: delta.id || `call_${delta.index}`,
        name: delta.name ?? '',
        args: '',
        slot: this.#parts.length,
      };
      this.#parts.push({ type: 'tool-call', id: call.id, name: call.name, input: '', complete: false });
      this.#open.set(delta.index, call);
    } else if (delta.name && !call.name) {
      call.name = delta.name;
    }
    if (delta.inputDelta) {
      call.args += delta.inputDelta;
      (this.#parts[call.slot] as { input: unknown }).input = call.args;
      chunks.push({
        type: 'tool-call-delta',
        id: call.id,
        name: call.name,
        inputDelta: delta.inputDelta,
        text: '',
      });
    }
    return chunks;
  }

  /** Completes the call at `index`: parses its arguments (a `StructuredOutputError` if they are not JSON). */
  endTool(index: number): StreamChunk | undefined {
    const call = this.#open.get(index);
    if (call === undefined) return undefined;
    this.#open.delete(index);
    const input = parseToolInput(call.args, call.name, this.#context);
    this.#parts[call.slot] = { type: 'tool-call', id: call.id, name: call.name, input, complete: true };
    return { type: 'tool-call', id: call.id, name: call.name, input, text: '' };
  }

  /** The provider starts a new block: the next text or reasoning is a part of its own. */
  startPart(): void {
    this.#fresh = true;
  }

  /** The part to append to, unless a new one must start. */
  #last(): Building | undefined {
    if (this.#fresh) {
      this.#fresh = false;
      return undefined;
    }
    return this.#parts[this.#parts.length - 1];
  }

  /** Completes every open call: the answer is finished. */
  finish(): StreamChunk[] {
    return [...this.#open.keys()].map((index) => this.endTool(index)!);
  }

  /**
   * The turn as parts. After `finish()`, the whole answer; before, what had arrived: a call cut
   * in its arguments holds the arguments received, unparsed, as its `input`.
   */
  content(): AssistantPart[] {
    return this.#parts.map((part): AssistantPart => {
      if (part.type !== 'tool-call') return { ...part };
      return { type: 'tool-call', id: part.id, name: part.name, input: part.input };
    });
  }
}
