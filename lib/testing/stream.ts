/**
 * Writes a streamed reply as SSE, playing the streaming faults at the right chunk (any delta:
 * text, thinking, signature or tool arguments): stall, malformed event, in-stream error, drop,
 * clean-but-truncated end, and delays.
 */
import type { ServerResponse } from 'node:http';
import type { Headers } from './headers.js';
import type { ReplyPlan } from './reply.js';
import type { FaultSpec } from './spec.js';
import { sleep, untilAborted } from './timing.js';
import type { Wire } from './wire.js';

/** Everything one streamed answer needs. */
export interface StreamJob {
  res: ServerResponse;
  wire: Wire;
  plan: ReplyPlan;
  /** The spec in force (already reduced when `fail_first` ran out). */
  spec: FaultSpec;
  headers: Headers;
  signal: AbortSignal;
}

/** Writes `data` and resolves once it is flushed to the socket (or rejects on abort). */
function write(res: ServerResponse, data: string, signal: AbortSignal): Promise<void> {
  if (data === '') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(data, (error) => {
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Writes the whole streamed answer, faults included. */
export async function streamReply(job: StreamJob): Promise<void> {
  const { res, wire, plan, spec, signal } = job;
  res.writeHead(200, {
    ...job.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  await write(res, wire.open(plan), signal);

  // Every delta is one chunk: text, thinking, signature and tool-argument deltas alike.
  const total = plan.deltas.length;
  // "After N chunks" past the end of the reply means after the last chunk.
  const at = (n: number | undefined) => (n === undefined ? -1 : Math.min(n, total));
  for (let i = 0; i <= total; i++) {
    if (i === at(spec.stall_after)) {
      await (spec.stall_ms === undefined ? untilAborted(signal) : sleep(spec.stall_ms, signal));
    }
    if (i === at(spec.malformed_after)) await write(res, wire.malformed(), signal);
    if (i === at(spec.error_event_after)) {
      await write(res, wire.errorEvent(spec.error_type), signal);
      res.end();
      return;
    }
    if (i === at(spec.drop_after)) {
      res.socket?.destroy();
      return;
    }
    if (i === at(spec.end_after)) {
      res.end();
      return;
    }
    if (i === total) break;
    const delay = i === 0 ? spec.first_chunk_delay : spec.chunk_delay;
    if (delay !== undefined && delay > 0) await sleep(delay, signal);
    await write(res, wire.delta(plan, plan.deltas[i]!), signal);
  }
  await write(res, wire.close(plan, { noDone: spec.no_done === true }), signal);
  res.end();
}
