import { hash } from 'node:crypto';
import { isStandardSchema, standardJsonSchemaNow } from '../../schema/convert.js';
import type { Message, SchemaInput, ToolSpec } from '../../types.js';

/**
 * The cache key's picture of content beyond plain text: every part by the fields a provider
 * sends (extra fields on a part never reach the wire, so they are left out), bytes and
 * `data:` URLs by their sha256, schemas by their JSON Schema. Written with `canonical` (JSON
 * with sorted keys) by the caller.
 */

/** A message's content for the key: a string as it is, parts as arrays of their fields. */
export function contentKey(message: Message): unknown {
  const { content } = message;
  if (typeof content === 'string') return content;
  return content.map((part) => {
    switch (part.type) {
      case 'text':
        return ['text', part.text];
      case 'image':
        return ['image', dataKey(part.image, true), part.mediaType ?? null];
      case 'file':
        return ['file', dataKey(part.data, false), part.mediaType, part.filename ?? null];
      case 'tool-call':
        return ['tool-call', part.id, part.name, part.input ?? null];
      case 'reasoning':
        return part.redacted === undefined
          ? ['reasoning', part.text, part.signature ?? null]
          : ['reasoning', part.text, part.signature ?? null, part.redacted];
      case 'tool-result':
        return ['tool-result', part.toolCallId, part.name, part.output ?? null, part.isError === true];
      default:
        return part;
    }
  });
}

/** Tools as the model sees them: name, description, and the parameters' JSON Schema. */
export function toolsKey(tools: readonly ToolSpec[]): unknown {
  return tools.map(({ name, description, parameters }) => [
    name,
    description ?? null,
    schemaJson(parameters),
  ]);
}

/** A `schema` option: a JSON Schema spec by its fields, a Standard Schema by its JSON Schema. */
export function schemaKey(schema: SchemaInput): unknown {
  if (isStandardSchema(schema)) return schemaJson(schema);
  const { name, description, schema: json } = schema;
  return [name ?? null, description ?? null, schemaJson(json)];
}

/**
 * A JSON Schema as it is; a Standard Schema by the JSON Schema its library writes. One that
 * cannot give it at once (an older zod 4) is keyed by its identity: the same object hits within
 * this process, never across processes.
 */
function schemaJson(schema: object): unknown {
  if (!isStandardSchema(schema)) return schema;
  return standardJsonSchemaNow(schema) ?? { $identity: identity(schema) };
}

const ids = new WeakMap<object, number>();
let nextId = 0;

function identity(value: object): number {
  let id = ids.get(value);
  if (id === undefined) ids.set(value, (id = ++nextId));
  return id;
}

/** An https URL as it is; a `data:` URL, base64 text or bytes by their sha256. */
function dataKey(data: string | Uint8Array, urlAllowed: boolean): string {
  if (typeof data === 'string') {
    return urlAllowed && !data.startsWith('data:') ? data : `sha256:${hash('sha256', data, 'hex')}`;
  }
  return `sha256:${hash('sha256', data, 'hex')}`;
}
