/**
 * Raw-wire helpers for the fault-server tests: post a request with fetch and read an SSE body
 * frame by frame, noting how it ended.
 */
import type { FaultServer } from '../../lib/testing/index.js';

/** One SSE frame as received, and when it arrived (epoch ms). */
export interface Frame {
  event: string | undefined;
  data: string;
  at: number;
}

/** A whole SSE body: its frames, and the error that stopped it, if any (a dropped socket). */
export interface SseResult {
  status: number;
  frames: Frame[];
  raw: string;
  error: unknown;
  /** When reading began (epoch ms), for the frames' arrival times. */
  start: number;
}

export const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];

/** Posts a chat-completions (OpenAI) or messages (Anthropic) request to the fault server. */
export function postWire(
  server: FaultServer,
  provider: 'openai' | 'anthropic',
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const anthropic = provider === 'anthropic';
  return fetch(`${server.url}${anthropic ? '/v1/messages' : '/v1/chat/completions'}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(anthropic ? { 'anthropic-version': '2023-06-01' } : {}),
      ...headers,
    },
    body: JSON.stringify({ messages, ...(anthropic ? { max_tokens: 1000 } : {}), ...body }),
  });
}

function parseFrame(block: string, at: number): Frame {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { event, data: data.join('\n'), at };
}

/** Reads an SSE body frame by frame to its end (or its error), noting when each frame arrived. */
export async function readSse(res: Response): Promise<SseResult> {
  const start = Date.now();
  const frames: Frame[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let raw = '';
  let error: unknown;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      raw += text;
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        frames.push(parseFrame(buffer.slice(0, end), Date.now()));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (caught) {
    error = caught;
  }
  return { status: res.status, frames, raw, error, start };
}

/** Streams one request and reads it whole. */
export async function streamWire(
  server: FaultServer,
  provider: 'openai' | 'anthropic',
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<SseResult> {
  return readSse(await postWire(server, provider, { ...body, stream: true }, headers));
}

/** The parsed JSON data of the frames that carry JSON (not `[DONE]`, not a malformed one). */
export function jsonFrames(frames: Frame[]): Record<string, unknown>[] {
  return frames.flatMap((frame) => {
    try {
      return [JSON.parse(frame.data) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** An OpenAI tool-call delta as sent. */
export interface OpenAIToolDelta {
  index: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments: string };
}

/** The `tool_calls` deltas of an OpenAI stream, in order. */
export function openaiToolDeltas(frames: Frame[]): OpenAIToolDelta[] {
  return jsonFrames(frames).flatMap((chunk) => {
    const choices = (chunk.choices ?? []) as { delta?: { tool_calls?: OpenAIToolDelta[] } }[];
    return choices.flatMap((choice) => choice.delta?.tool_calls ?? []);
  });
}

/** The `content_block_delta` deltas of an Anthropic stream, in order, with their block index. */
export function anthropicDeltas(frames: Frame[]): { index: number; delta: Record<string, string> }[] {
  return frames
    .filter((frame) => frame.event === 'content_block_delta' && frame.data.startsWith('{'))
    .map((frame) => JSON.parse(frame.data) as { index: number; delta: Record<string, string> });
}
