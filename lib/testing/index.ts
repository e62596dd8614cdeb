/**
 * `llm-resilience/testing`: a local fault server speaking the OpenAI and Anthropic wire
 * formats, for testing retry, fallback and stream handling against real SDK clients.
 */
export { FaultServer, type FaultServerOptions } from './server.js';
export { faultModel, parseFaultSpec, type FaultSpec } from './spec.js';
export type { ReplyScript, ScriptedToolCall } from './script.js';
export type { FaultHit, HitReport } from './hits.js';
export type { Provider } from './headers.js';
