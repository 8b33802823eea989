import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { flagAtShare, OFF, type FlagDefinition, type FlagRecord, type ServedFlags } from '../../model/flag-rules';
import { flagdFileSchema } from '../../model/flags';
import { InvalidInputError, parseWith } from '../../model/parse';
import { FlagKilledError } from '../errors';

// What an environment's running instances read: AIRLOCK_HOME/flags/<service>/<env>/flags.json, a flagd
// file the OpenFeature flagd provider (in-process, file source) of every instance watches through a
// read-only bind mount (infra/providers/release-container.ts). Beside it airlock's own record of each
// flag (state.json: share, killed, by which workflow), which the instances do not see.

export const FLAGS_SERVED = 'flags.json';
const STATE = 'state.json';

/** The host directory of one environment's flags (mounted read-only at /etc/airlock/flags in its containers). */
export const flagsDirOf = (home: string, service: string, environment: string): string => join(home, 'flags', service, environment);

const emptyServed = (): ServedFlags => ({ file: { flags: {} }, state: {} });

export async function readServed(dir: string): Promise<ServedFlags> {
  let file;
  try {
    file = parseWith(flagdFileSchema, JSON.parse(await readFile(join(dir, FLAGS_SERVED), 'utf8')), join(dir, FLAGS_SERVED));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyServed();
    throw err;
  }
  let state: Record<string, FlagRecord> = {};
  try {
    state = JSON.parse(await readFile(join(dir, STATE), 'utf8')) as Record<string, FlagRecord>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { file, state };
}

/** Atomic replace (write + rename in the same directory): a reader sees the old file or the new one, never half. */
async function replace(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, join(dir, name));
}

/** Creates the directory and an empty served file when there is none (a container starting reads it at once). */
export async function ensureServed(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  try {
    await stat(join(dir, FLAGS_SERVED));
  } catch {
    await replace(dir, FLAGS_SERVED, `${JSON.stringify({ flags: {} })}\n`);
  }
}

/**
 * One writer at a time per environment (a kill does not wait for the environment lock, so it can race a
 * rollout step): a directory made with mkdir is the mutex; one older than 10 s is a crashed writer's.
 */
async function exclusive<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.write.lock');
  for (let i = 0; ; i++) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 10_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 10 + Math.min(i, 20) * 5));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function writeServed(dir: string, served: ServedFlags): Promise<void> {
  await replace(dir, STATE, `${JSON.stringify(served.state, null, 2)}\n`);
  await replace(dir, FLAGS_SERVED, `${JSON.stringify(served.file, null, 2)}\n`);
}

export interface SetShareInput {
  dir: string;
  flag: string;
  /** The definition from the service repository (variants, metadata); airlock sets state, defaultVariant and targeting. */
  definition: FlagDefinition;
  share: number;
  workflowId: string;
  /** The first step of a rollout: a flag killed before the rollout began may start again (a new, deliberate rollout). */
  fresh: boolean;
  /**
   * When the rollout began (ISO). A kill made at or after it stops the first write too: a signed kill sent
   * while the rollout was starting (before its first write) must not be undone by that write.
   */
  startedAt?: string;
}

/** Whether the flag's kill stops this write: any later step, or a first step of a rollout that began before the kill. */
function killStops(killed: { at: string }, input: Pick<SetShareInput, 'fresh' | 'startedAt'>): boolean {
  if (!input.fresh) return true;
  return input.startedAt !== undefined && Date.parse(killed.at) >= Date.parse(input.startedAt);
}

/** Sets the flag's share; refuses (FlagKilledError) when it was killed since this rollout began. */
export async function setShare(input: SetShareInput, now = new Date()): Promise<FlagRecord> {
  await ensureServed(input.dir);
  return exclusive(input.dir, async () => {
    const served = await readServed(input.dir);
    const record = served.state[input.flag];
    if (record?.killed && killStops(record.killed, input)) throw new FlagKilledError(input.flag, record.killed.by, record.killed.reason);
    const next: FlagRecord = { share: input.share, workflowId: input.workflowId, at: now.toISOString() };
    served.file.flags[input.flag] = flagAtShare(input.definition, input.share);
    served.state[input.flag] = next;
    await writeServed(input.dir, served);
    return next;
  });
}

export interface KillInput {
  dir: string;
  flag: string;
  by: string;
  reason: string;
  workflowId: string;
}

/** Off for everyone: defaultVariant `off`, no targeting. Works without a definition (a flag never rolled out is written off). */
export async function kill(input: KillInput, now = new Date()): Promise<FlagRecord> {
  await ensureServed(input.dir);
  return exclusive(input.dir, async () => {
    const served = await readServed(input.dir);
    const current = served.file.flags[input.flag];
    if (current && !(OFF in current.variants)) throw InvalidInputError.line('flag kill', `flags.${input.flag}.variants: has no "${OFF}" variant to switch to`);
    const definition: FlagDefinition = current ?? { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: OFF };
    served.file.flags[input.flag] = flagAtShare(definition, 0);
    const record: FlagRecord = { share: 0, killed: { by: input.by, reason: input.reason, at: now.toISOString(), workflowId: input.workflowId }, workflowId: input.workflowId, at: now.toISOString() };
    served.state[input.flag] = record;
    await writeServed(input.dir, served);
    return record;
  });
}
