import type { FilePart, ImagePart } from '../types.js';

/** Where an image or file's bytes come from, in the form both providers can be given. */
export type MediaSource =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'base64'; readonly mediaType: string; readonly data: string };

const DATA_URL = /^data:([^;,]+)?((?:;[^;,]*)*?);base64,(.*)$/is;

/** Bytes as base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A base64 `data:` URL's media type and data, or `undefined` for anything else. */
export function parseDataUrl(url: string): { mediaType: string | undefined; data: string } | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  return { mediaType: match[1]?.toLowerCase(), data: match[3] ?? '' };
}

/**
 * An image part's source: an `http(s):` URL as it is; a `data:` URL or bytes as base64 with
 * its media type (the part's `mediaType` wins over the data URL's). Throws a `TypeError`
 * naming `where` for a data URL that is not base64 or has no media type.
 */
export function imageSource(part: ImagePart, where: string): MediaSource {
  const { image } = part;
  if (image instanceof Uint8Array) {
    return { kind: 'base64', mediaType: part.mediaType ?? 'application/octet-stream', data: toBase64(image) };
  }
  if (!/^data:/i.test(image)) return { kind: 'url', url: image };
  const parsed = parseDataUrl(image);
  const mediaType = part.mediaType ?? parsed?.mediaType;
  if (parsed === undefined || mediaType === undefined) {
    throw new TypeError(
      `${where} (image): a data: URL must be base64 with a media type, e.g. data:image/png;base64,…`,
    );
  }
  return { kind: 'base64', mediaType, data: parsed.data };
}

/** A file part's data as base64 (a data URL given as `data` is unwrapped). */
export function fileBase64(part: FilePart): string {
  if (part.data instanceof Uint8Array) return toBase64(part.data);
  return parseDataUrl(part.data)?.data ?? part.data;
}

/** `data:<type>;base64,<data>`. */
export function dataUrl(mediaType: string, base64: string): string {
  return `data:${mediaType};base64,${base64}`;
}
