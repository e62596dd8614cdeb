import type { Message } from '../types.js';

/**
 * Input shape checks for provider-neutral content, before any request: a bad shape is a
 * `TypeError` naming the message index and the part, e.g.
 * ``messages[2].content[1] (image): `image` must be an https: URL, a data: URL or a Uint8Array, got 42``.
 * A string `content` is valid for every role but `tool`.
 */
export function checkMessages(messages: readonly unknown[]): asserts messages is readonly Message[] {
  messages.forEach((message, i) => checkMessage(message, i));
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

function checkMessage(message: unknown, i: number): void {
  const at = `messages[${i}]`;
  if (!isRecord(message)) throw new TypeError(`${at} must be a message object, got ${show(message)}`);
  const { role, content } = message;
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw new TypeError(`${at}.role must be 'system', 'user', 'assistant' or 'tool', got ${show(role)}`);
  }
  if (typeof content === 'string' && role !== 'tool') return;
  if (role === 'system')
    throw new TypeError(`${at}.content must be a string for a system message, got ${show(content)}`);
  if (!Array.isArray(content)) {
    const what = role === 'tool' ? 'an array of tool-result parts' : 'a string or an array of parts';
    throw new TypeError(`${at}.content must be ${what}, got ${show(content)}`);
  }
  if (role === 'tool' && content.length === 0)
    throw new TypeError(`${at}.content must hold at least one tool-result part`);
  const check =
    role === 'user' ? checkUserPart : role === 'assistant' ? checkAssistantPart : checkToolResultPart;
  content.forEach((part, j) => {
    const where = `${at}.content[${j}]`;
    if (!isRecord(part)) throw new TypeError(`${where} must be a part object, got ${show(part)}`);
    check(part, `${where} (${typeof part.type === 'string' ? part.type : 'no type'})`);
  });
}

function checkUserPart(part: Record<string, unknown>, where: string): void {
  switch (part.type) {
    case 'text':
      return checkString(part, 'text', where);
    case 'image': {
      const { image } = part;
      if (!(image instanceof Uint8Array) && !(typeof image === 'string' && /^(https?:|data:)/i.test(image))) {
        throw new TypeError(
          `${where}: \`image\` must be an https: URL, a data: URL or a Uint8Array, got ${show(image)}`,
        );
      }
      if (image instanceof Uint8Array && typeof part.mediaType !== 'string') {
        throw new TypeError(
          `${where}: \`mediaType\` (e.g. 'image/png') is required with image bytes, got ${show(part.mediaType)}`,
        );
      }
      return checkOptionalString(part, 'mediaType', where);
    }
    case 'file':
      if (!(part.data instanceof Uint8Array) && typeof part.data !== 'string') {
        throw new TypeError(`${where}: \`data\` must be base64 text or a Uint8Array, got ${show(part.data)}`);
      }
      checkString(part, 'mediaType', where);
      return checkOptionalString(part, 'filename', where);
    default:
      throw new TypeError(
        `${where}: a user part's \`type\` must be 'text', 'image' or 'file', got ${show(part.type)}`,
      );
  }
}

function checkAssistantPart(part: Record<string, unknown>, where: string): void {
  switch (part.type) {
    case 'text':
      return checkString(part, 'text', where);
    case 'tool-call':
      checkName(part, 'id', where);
      checkName(part, 'name', where);
      if (!('input' in part)) throw new TypeError(`${where}: \`input\` (the parsed arguments) is missing`);
      return;
    case 'reasoning':
      checkString(part, 'text', where);
      checkOptionalString(part, 'signature', where);
      return checkOptionalString(part, 'redacted', where);
    default:
      throw new TypeError(
        `${where}: an assistant part's \`type\` must be 'text', 'tool-call' or 'reasoning', got ${show(part.type)}`,
      );
  }
}

function checkToolResultPart(part: Record<string, unknown>, where: string): void {
  if (part.type !== 'tool-result') {
    throw new TypeError(
      `${where}: a tool message's parts must have \`type\` 'tool-result', got ${show(part.type)}`,
    );
  }
  checkName(part, 'toolCallId', where);
  checkName(part, 'name', where);
  if (part.isError !== undefined && typeof part.isError !== 'boolean') {
    throw new TypeError(`${where}: \`isError\` must be a boolean, got ${show(part.isError)}`);
  }
}

function checkString(part: Record<string, unknown>, key: string, where: string): void {
  if (typeof part[key] !== 'string')
    throw new TypeError(`${where}: \`${key}\` must be a string, got ${show(part[key])}`);
}

function checkOptionalString(part: Record<string, unknown>, key: string, where: string): void {
  if (part[key] !== undefined) checkString(part, key, where);
}

function checkName(part: Record<string, unknown>, key: string, where: string): void {
  const value = part[key];
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${where}: \`${key}\` must be a non-empty string, got ${show(value)}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, safe picture of a value (never a long string: it may be a prompt or base64). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
