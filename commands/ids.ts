import { createHash, randomUUID } from 'node:crypto';
import { deterministicId as uuidV5 } from '../infra/ports/ids';

/** The namespace of `infra/ports/ids.ts`, as bytes. */
const NAMESPACE = Buffer.from('6f1d3c5e0b7a4c589f4e2f1d2a7c9b10', 'hex');

/** A lone surrogate is not UTF-8: the `uuid` package rejects such a name, and so does this one, through it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * `deterministicId` of `infra/ports/ids.ts` (RFC 4122 version 5 under the same namespace), the same id for the same
 * name, computed with one SHA-1 and no per-call parsing: the command path derives an event id per appended event.
 */
export const deterministicId = (name: string): string => {
  if (LONE_SURROGATE.test(name)) return uuidV5(name);
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/** A random (version 4) id, as `newId` of `infra/ports/ids.ts`, from node's own generator. */
export const newId = (): string => randomUUID();
