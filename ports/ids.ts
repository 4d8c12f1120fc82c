import { createHash, randomUUID } from 'node:crypto';
import { v5 } from 'uuid';

/** Fixed namespace for name-based (v5) ids: the same name always gives the same id, across processes. */
const namespace = '6f1d3c5e-0b7a-4c58-9f4e-2f1d2a7c9b10';
const NAMESPACE = Buffer.from(namespace.replaceAll('-', ''), 'hex');

/** A lone surrogate is not UTF-8: the `uuid` package rejects such a name, and so does this one, through it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A random (version 4) id. */
export const newId = (): string => randomUUID();

/**
 * RFC 4122 version 5 under the fixed namespace, computed with one SHA-1 and no per-call parsing (the command path
 * derives an event id per appended event); the same ids as the `uuid` package's `v5` (checked by a test).
 */
export const deterministicId = (name: string): string => {
  if (LONE_SURROGATE.test(name)) return v5(name, namespace);
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};
