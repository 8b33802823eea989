import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../providers/inputs';
import type { StackOutputs } from './program';
import type { StackSpec } from './spec';

/**
 * The traffic record: the candidate's share of user traffic as the last runtime-API shift set it, kept
 * next to the stack's checkpoint until the next `pulumi up` records it there.
 *
 * Traffic shifts move weights through HAProxy's runtime API only (milliseconds; a `pulumi up` per step
 * cost seconds on the critical path). What was recorded of the environment is then the stack's checkpoint
 * plus this record, and every reader of the stack's outputs sees both (stack.ts `outputs`): the next
 * plan, the drift check, the analysis. `up` clears it before it runs, since the spec it is given already
 * carries the weight (it was read through `outputs`).
 *
 * A record applies only to the checkpoint it was written over (`base`, a digest of that spec) and to the
 * candidate it names: a checkpoint written since (by any update) voids it, so a stale record can never
 * give a weight to another rollout.
 */
export interface TrafficRecord {
  stack: string;
  /** The candidate release the weight is for. */
  releaseId: string;
  /** Its share of user traffic, 0..100. */
  weight: number;
  /** specDigest of the checkpoint's spec the record was written over. */
  base: string;
  at: string;
}

const recordSchema = z
  .object({
    stack: z.string().min(1),
    releaseId: z.string().min(1),
    weight: z.number().int().min(0).max(100),
    base: z.string().regex(/^[0-9a-f]{64}$/),
    at: z.string(),
  })
  .strict();

/** A digest of a spec as the checkpoint holds it (key order does not matter). */
export function specDigest(spec: StackSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/**
 * The outputs with the record's weight applied, when the record belongs to them (same stack, written
 * over this very checkpoint, for the candidate it still has); else the outputs as they are.
 */
export function withTrafficRecord(out: StackOutputs, record: TrafficRecord | null): StackOutputs {
  const { spec, state } = out;
  if (!record || record.stack !== spec.stack || spec.candidate?.releaseId !== record.releaseId || record.base !== specDigest(spec)) return out;
  if (spec.candidateWeight === record.weight) return out;
  return {
    spec: { ...spec, candidateWeight: record.weight },
    state: { ...state, candidate: state.candidate ? { ...state.candidate, weight: record.weight } : state.candidate },
  };
}

export const trafficRecordFile = (dir: string, stack: string): string => join(dir, `${stack}.json`);

/** The record of a stack; null when there is none or it cannot be read (then the checkpoint alone counts). */
export function readTrafficRecord(dir: string, stack: string): TrafficRecord | null {
  let text: string;
  try {
    text = readFileSync(trafficRecordFile(dir, stack), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = recordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Writes the record atomically (temporary file, then rename): a crash leaves the old record or the new one. */
export function writeTrafficRecord(dir: string, record: TrafficRecord): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = trafficRecordFile(dir, record.stack);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(recordSchema.parse(record))}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function clearTrafficRecord(dir: string, stack: string): void {
  rmSync(trafficRecordFile(dir, stack), { force: true });
}
