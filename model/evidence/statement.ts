import { utf8ToBytes } from '@noble/curves/utils';
import { z } from 'zod';

// in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md). Every
// statement of a release's chain has exactly one subject: the image, by repository name and manifest digest.

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
export const sha256Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');

export const subjectSchema = z.object({ name: z.string().min(1), digest: z.record(z.string(), z.string()) }).loose();
export type Subject = z.output<typeof subjectSchema>;

/** Any statement: the predicate is checked separately against the schema of its predicateType. */
export const statementSchema = z
  .object({
    _type: z.literal(STATEMENT_TYPE),
    subject: z.array(subjectSchema).min(1),
    predicateType: z.string().min(1),
    predicate: z.record(z.string(), z.unknown()),
  })
  .loose();
export interface Statement<P = Record<string, unknown>> {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

/** An image pinned by digest: `<repository>@sha256:<hex>` split into its parts. */
export interface ImageRef {
  name: string;
  /** sha256:<hex> */
  digest: string;
}

export function parseImageRef(ref: string): ImageRef {
  const m = /^([^@\s]+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (!m) throw new RangeError(`not an image pinned by digest (<repository>@sha256:<64 hex>): ${ref}`);
  return { name: m[1]!, digest: m[2]! };
}

export function subjectOf(image: ImageRef): Subject {
  return { name: image.name, digest: { sha256: sha256Digest.parse(image.digest).slice('sha256:'.length) } };
}

export function buildStatement<P>(image: ImageRef, predicateType: string, predicate: P): Statement<P> {
  return { _type: STATEMENT_TYPE, subject: [subjectOf(image)], predicateType, predicate };
}

/** The payload bytes of a statement (compact JSON, UTF-8): what the DSSE envelope signs. */
export function statementBytes(statement: Statement<unknown>): Uint8Array {
  return utf8ToBytes(JSON.stringify(statement));
}
