/**
 * The provider routes: `POST /v1/chat/completions`, `POST /v1/messages` and
 * `GET /v1/models`. Works out the spec, records the hit, then plays the faults or answers.
 */
import { describeError } from './errors.js';
import { responseHeaders, type Headers } from './headers.js';
import { describeOutcome } from './hits.js';
import { header, readJsonObject, sendJson, type RequestContext } from './http.js';
import { planReply } from './reply.js';
import { parseReplyScript, type ReplyScript } from './script.js';
import { parseFaultSpec, shapeOnly, specForHit, type FaultSpec } from './spec.js';
import { streamReply } from './stream.js';
import { sleep, untilAborted } from './timing.js';
import type { Wire } from './wire.js';

function badRequest(ctx: RequestContext, wire: Wire, message: string, requestId: string): void {
  const error = {
    status: 400,
    openai: { type: 'invalid_request_error', code: null, param: null, message },
    anthropic: { type: 'invalid_request_error', message },
  };
  sendJson(ctx.res, 400, wire.errorBody(error, requestId), responseHeaders(wire.provider, {}, requestId));
}

/**
 * Plays the faults that come before any reply: latency, hang, reset and HTTP errors.
 * Returns true when the request has been answered (or deliberately never will be).
 */
async function playPrelude(
  ctx: RequestContext,
  wire: Wire,
  spec: FaultSpec,
  baseModel: string,
  headers: Headers,
  requestId: string,
): Promise<boolean> {
  if (spec.latency !== undefined && spec.latency > 0) await sleep(spec.latency, ctx.signal);
  if (spec.hang === true) await untilAborted(ctx.signal);
  if (spec.reset === true) {
    ctx.req.socket.destroy();
    return true;
  }
  const error = describeError(spec, baseModel);
  if (error === undefined) return false;
  if (spec.echo_key === true) {
    const key =
      (header(ctx.req, 'authorization') ?? '').replace(/^Bearer /, '') || header(ctx.req, 'x-api-key');
    error.openai.message += ` Key received: ${key}.`;
    error.anthropic.message += ` Key received: ${key}.`;
  }
  sendJson(ctx.res, error.status, wire.errorBody(error, requestId), headers);
  return true;
}

/** Handles one chat-completions or messages request in the given wire format. */
export async function handleCompletion(ctx: RequestContext, wire: Wire): Promise<void> {
  const requestId = ctx.nextRequestId();
  let body: Record<string, unknown>;
  try {
    body = await readJsonObject(ctx.req);
  } catch (error) {
    badRequest(ctx, wire, `Invalid JSON body: ${(error as Error).message}`, requestId);
    return;
  }
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    badRequest(ctx, wire, 'you must provide a model parameter', requestId);
    return;
  }
  const stream = body.stream === true;
  const provider = wire.provider;
  let baseModel = model.split('~')[0] ?? model;
  let spec: FaultSpec;
  let headerScript: ReplyScript | undefined;
  try {
    const fromModel = specForHit(model, ctx.log.count(model) + 1);
    baseModel = fromModel.baseModel;
    spec = { ...fromModel.spec, ...parseFaultSpec(header(ctx.req, 'x-fault') ?? '') };
    const inline = header(ctx.req, 'x-fault-reply');
    if (inline !== undefined) headerScript = parseReplyScript(inline, 'the `x-fault-reply` header');
    if (typeof spec.reply === 'string' && !ctx.replies.has(spec.reply)) {
      const known = [...ctx.replies.keys()].map((name) => `\`${name}\``).join(', ') || 'none';
      throw new TypeError(`unknown reply \`${spec.reply}\` (registered: ${known})`);
    }
  } catch (error) {
    ctx.log.record({
      model,
      baseModel,
      provider,
      stream,
      at: Date.now(),
      fault: {},
      outcome: 'invalid_spec',
      body,
    });
    badRequest(ctx, wire, `Invalid fault spec: ${(error as Error).message}`, requestId);
    return;
  }

  const hitNumber = ctx.log.count(model) + 1;
  const active = spec.fail_first === undefined || hitNumber <= spec.fail_first ? spec : shapeOnly(spec);
  const outcome = describeOutcome(active, provider, stream, describeError(active, baseModel)?.status);
  ctx.log.record({ model, baseModel, provider, stream, at: Date.now(), fault: spec, outcome, body });

  const headers = responseHeaders(provider, active, requestId);
  if (await playPrelude(ctx, wire, active, baseModel, headers, requestId)) return;
  const script =
    typeof active.reply === 'string' ? ctx.replies.get(active.reply)! : (active.reply ?? headerScript ?? {});
  const plan = planReply({ provider, model, baseModel, spec: active, script, body, requestId });
  if (!stream) {
    sendJson(ctx.res, 200, wire.json(plan), headers);
    return;
  }
  await streamReply({ res: ctx.res, wire, plan, spec: active, headers, signal: ctx.signal });
}

/** Handles `GET /v1/models`; honours an `x-fault` header's latency, hang, reset and errors. */
export async function handleModels(ctx: RequestContext, openai: Wire, anthropic: Wire): Promise<void> {
  const wire = header(ctx.req, 'anthropic-version') === undefined ? openai : anthropic;
  const requestId = ctx.nextRequestId();
  let spec: FaultSpec;
  try {
    spec = parseFaultSpec(header(ctx.req, 'x-fault') ?? '');
  } catch (error) {
    badRequest(ctx, wire, `Invalid fault spec: ${(error as Error).message}`, requestId);
    return;
  }
  const headers = responseHeaders(wire.provider, spec, requestId);
  if (await playPrelude(ctx, wire, spec, 'models', headers, requestId)) return;
  sendJson(ctx.res, 200, wire.models(), headers);
}
