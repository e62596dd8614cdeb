import type { PartsBuilder } from '../content/parts.js';
import type { StreamChunk } from '../types.js';
import type { StreamUpdate } from './completion.js';

/** The chunks one update shows, in order: reasoning, text, tool-call pieces, a completed call. */
export function chunksOf(parts: PartsBuilder, update: StreamUpdate): StreamChunk[] {
  const chunks: StreamChunk[] = [];
  if (update.newPart) parts.startPart();
  if (update.reasoning) chunks.push(parts.addReasoning(update.reasoning)!);
  if (update.signature) parts.addSignature(update.signature);
  if (update.redacted !== undefined) parts.addRedacted(update.redacted);
  if (update.text) chunks.push(parts.addText(update.text));
  for (const delta of update.toolCalls ?? []) chunks.push(...parts.toolDelta(delta));
  if (update.toolCallEnd !== undefined) {
    const done = parts.endTool(update.toolCallEnd);
    if (done) chunks.push(done);
  }
  return chunks;
}

/** Keeps the latest usage figures an update reports (`-1`: never reported). */
export function readUsage(
  usage: { inputTokens: number; outputTokens: number; reasoningTokens: number; cachedInputTokens: number },
  update: StreamUpdate,
): void {
  if (update.inputTokens !== undefined) usage.inputTokens = update.inputTokens;
  if (update.outputTokens !== undefined) usage.outputTokens = update.outputTokens;
  if (update.reasoningTokens !== undefined) usage.reasoningTokens = update.reasoningTokens;
  if (update.cachedInputTokens !== undefined) usage.cachedInputTokens = update.cachedInputTokens;
}
