/**
 * Turns the text, spec and reply script of a request into content blocks (thinking, text,
 * tool calls) and the flat list of deltas a stream sends, the same for both wire formats
 * except that OpenAI's wire carries no thinking text.
 */
import type { Provider } from './headers.js';
import type { ReplyScript } from './script.js';
import type { FaultSpec } from './spec.js';

/** One content block of the answer, its text already cut at `max_tokens`. */
export type Block =
  | { readonly type: 'thinking'; readonly text: string; readonly signature: string }
  /** Anthropic `redacted_thinking`: encrypted, sent whole in its `content_block_start`. */
  | { readonly type: 'redacted'; readonly data: string }
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool';
      readonly id: string;
      readonly name: string;
      /** The arguments' JSON text (possibly invalid, possibly cut short). */
      readonly text: string;
      /** The call's position among the tool calls: OpenAI's `tool_calls[].index`. */
      readonly toolIndex: number;
    };

/**
 * One streamed delta: a "chunk" for every chunk-counting fault (`drop_after`, `stall_after`, …).
 * The first delta of a block carries the block's start, the last its stop.
 */
export interface Delta {
  /** Index of its block in `ReplyPlan.blocks` (Anthropic's content index). */
  readonly block: number;
  /** `redacted`: a whole `redacted_thinking` block (its start and stop, no delta event). */
  readonly kind: 'thinking' | 'signature' | 'redacted' | 'text' | 'args';
  readonly text: string;
  readonly first: boolean;
  readonly last: boolean;
}

/** How many deltas tool arguments and JSON answers are split into by default. */
export const DEFAULT_ARG_CHUNKS = 3;

/** Splits text into word pieces, each with its leading whitespace; the first has none. */
export function splitWords(text: string): string[] {
  const pieces = text.match(/^\s*\S+|\s+\S+/g) ?? [];
  const trailing = /\s+$/.exec(text)?.[0];
  if (trailing !== undefined && pieces.length > 0) pieces[pieces.length - 1] += trailing;
  return pieces.length > 0 || text === '' ? pieces : [text];
}

/** Splits text into `n` pieces of near-equal length (fewer when it is shorter; one for ''). */
export function splitEven(text: string, n: number): string[] {
  const chars = Array.from(text);
  const count = Math.max(1, Math.min(n, chars.length));
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) {
    pieces.push(
      chars
        .slice(Math.floor((i * chars.length) / count), Math.floor(((i + 1) * chars.length) / count))
        .join(''),
    );
  }
  return pieces;
}

/** The name of the one tool a request forces, in either wire format, if any. */
export function forcedTool(body: Record<string, unknown>): string | undefined {
  const choice = body.tool_choice;
  if (typeof choice !== 'object' || choice === null) return undefined;
  const c = choice as { type?: unknown; name?: unknown; function?: { name?: unknown } };
  if (c.type === 'tool' && typeof c.name === 'string') return c.name;
  if (c.type === 'function' && typeof c.function?.name === 'string') return c.function.name;
  return undefined;
}

/** A block before cutting, with its pieces. */
interface Draft {
  block: Block;
  pieces: { kind: Delta['kind']; text: string }[];
}

function defaultSignature(text: string): string {
  return Buffer.from(`fault:${text}`).toString('base64');
}

/** The text pieces of the answer: `chunks=N`, spec `text`, the script's text or json, or the greeting. */
function textPieces(spec: FaultSpec, script: ReplyScript, baseModel: string, argChunks: number): string[] {
  if (spec.chunks !== undefined) {
    return Array.from({ length: spec.chunks }, (_, i) => (i === 0 ? 'w1' : ` w${i + 1}`));
  }
  if (spec.text !== undefined) return splitWords(spec.text);
  if (script.jsonText !== undefined) return splitEven(script.jsonText, argChunks);
  if (script.json !== undefined) return splitEven(JSON.stringify(script.json), argChunks);
  if (script.text !== undefined) return splitWords(script.text);
  if (script.toolCalls !== undefined) return [];
  return splitWords(`Hello from ${baseModel}.`);
}

/** Builds the uncut blocks of an answer for one wire format. */
export function draftBlocks(input: {
  provider: Provider;
  baseModel: string;
  spec: FaultSpec;
  script: ReplyScript;
  body: Record<string, unknown>;
  requestNumber: string;
}): { drafts: Draft[]; thinkingWords: number } {
  const { provider, spec, script } = input;
  const argChunks = spec.arg_chunks ?? script.argChunks ?? DEFAULT_ARG_CHUNKS;
  const drafts: Draft[] = [];
  let thinkingWords = 0;
  if (script.reasoning !== undefined) {
    const words = splitWords(script.reasoning.text);
    thinkingWords = words.length;
    const signature = script.reasoning.signature ?? defaultSignature(script.reasoning.text);
    if (provider === 'anthropic') {
      drafts.push({
        block: { type: 'thinking', text: script.reasoning.text, signature },
        pieces: [
          ...words.map((text) => ({ kind: 'thinking' as const, text })),
          { kind: 'signature', text: signature },
        ],
      });
      const { redacted } = script.reasoning;
      if (redacted !== undefined) {
        drafts.push({
          block: { type: 'redacted', data: redacted },
          pieces: [{ kind: 'redacted', text: redacted }],
        });
      }
    }
  }
  const calls = [...(script.toolCalls ?? [])];
  const forced = forcedTool(input.body);
  const structured = script.json !== undefined || script.jsonText !== undefined;
  const overridden = spec.text !== undefined || spec.chunks !== undefined;
  if (structured && forced !== undefined && !overridden) {
    calls.push({
      name: forced,
      ...(script.jsonText === undefined ? { input: script.json } : { inputText: script.jsonText }),
    });
  } else {
    const pieces = textPieces(spec, script, input.baseModel, argChunks);
    const text = pieces.join('');
    if (pieces.length > 0) {
      drafts.push({ block: { type: 'text', text }, pieces: pieces.map((p) => ({ kind: 'text', text: p })) });
    }
  }
  const prefix = provider === 'openai' ? 'call' : 'toolu';
  calls.forEach((call, toolIndex) => {
    const text = call.inputText ?? JSON.stringify(call.input ?? {});
    drafts.push({
      block: {
        type: 'tool',
        id: call.id ?? `${prefix}_fault${input.requestNumber}_${toolIndex}`,
        name: call.name,
        text,
        toolIndex,
      },
      pieces: splitEven(text, argChunks).map((p) => ({ kind: 'args', text: p })),
    });
  });
  return { drafts, thinkingWords };
}

/**
 * Cuts the drafts to at most `limit` deltas (`max_tokens`), dropping blocks that got none and
 * shortening the text of the one cut in the middle.
 */
export function cutBlocks(
  drafts: Draft[],
  limit: number | undefined,
): { blocks: Block[]; deltas: Delta[]; truncated: boolean } {
  const total = drafts.reduce((sum, d) => sum + d.pieces.length, 0);
  const truncated = limit !== undefined && total > limit;
  let left = truncated ? limit : total;
  const blocks: Block[] = [];
  const deltas: Delta[] = [];
  for (const draft of drafts) {
    if (left <= 0) break;
    const kept = draft.pieces.slice(0, left);
    left -= kept.length;
    const index = blocks.length;
    let block = draft.block;
    if (kept.length < draft.pieces.length) {
      const text = kept.flatMap((p) => (p.kind === 'signature' ? [] : [p.text])).join('');
      // (A redacted block has one piece: it is kept whole or not at all.)
      if (block.type !== 'redacted')
        block = block.type === 'thinking' ? { ...block, text, signature: '' } : { ...block, text };
    }
    blocks.push(block);
    kept.forEach((piece, i) =>
      deltas.push({
        block: index,
        kind: piece.kind,
        text: piece.text,
        first: i === 0,
        last: i === kept.length - 1,
      }),
    );
  }
  return { blocks, deltas, truncated };
}
