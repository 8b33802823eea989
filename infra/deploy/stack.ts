import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConcurrentUpdateError as PulumiConcurrentUpdateError, LocalWorkspace, PulumiCommand, Stack, StackNotFoundError, type EngineEvent } from '@pulumi/pulumi/automation';
import { stackName } from '../../model/names';
import type { AirlockConfig } from '../config';
import { projectRoot, resolveTool } from '../local/tools';
import { createReleaseProgram, type StackOutputs } from './program';
import type { StackSpec } from './spec';
import { readCheckpointOutputs } from './checkpoint';
import { clearStaleLocks } from './stack-locks';
import { clearTrafficRecord, readTrafficRecord, specDigest, withTrafficRecord, writeTrafficRecord } from './traffic-record';

/**
 * Runs the release program of one (service, env) with the Pulumi Automation API on the configured backend
 * (a local file backend under AIRLOCK_HOME by default, passphrase secrets provider). The program is
 * inline; dynamic providers run in Pulumi's `pulumi-resource-pulumi-nodejs` plugin, found on PATH.
 */
export const PULUMI_PROJECT = 'airlock';

export class StackLockedError extends Error {
  override readonly name = 'StackLockedError';
}
export class StackOperationError extends Error {
  override readonly name = 'StackOperationError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}
export class DockerDownError extends Error {
  override readonly name = 'DockerDownError';
}

export interface StackProgress {
  /** A line of Pulumi's output (heartbeat with it). */
  onOutput?: (line: string) => void;
}

export interface StackDriver {
  /**
   * `pulumi up` with the spec; returns the program's outputs. `replace`: URNs of resources to replace even
   * though their inputs did not change (drift reconciliation: a container stopped or removed by hand).
   */
  up(spec: StackSpec, progress?: StackProgress, options?: { replace?: string[] }): Promise<StackOutputs & { durationMs: number; changes: Record<string, number> }>;
  /**
   * The last outputs of the stack, or null when it does not exist or never ran; with the weight of a
   * runtime-API traffic shift made since (traffic-record.ts) applied.
   */
  outputs(service: string, environment: string): Promise<StackOutputs | null>;
  /**
   * Records the candidate's share of traffic that a runtime-API shift set, without a `pulumi up`: kept
   * next to the checkpoint until the next update records it there (traffic-record.ts).
   */
  recordTraffic(service: string, environment: string, releaseId: string, weight: number): Promise<void>;
  /** Destroys every resource of the stack and removes the stack. */
  destroy(service: string, environment: string, progress?: StackProgress): Promise<void>;
  /** The stack's checkpoint (resources with their outputs), for comparing with `docker ps`. */
  exportState(service: string, environment: string): Promise<{ resources?: { type: string; urn: string; id?: string; outputs?: Record<string, unknown> }[] }>;
}

type DriverConfig = Pick<AirlockConfig, 'home' | 'cache' | 'tools' | 'pulumi' | 'docker'>;

/** Where the traffic records of runtime-API shifts live (traffic-record.ts). */
export const trafficRecordDir = (config: Pick<AirlockConfig, 'home'>): string => join(config.home, 'traffic');

function backendDir(url: string): string | undefined {
  return url.startsWith('file://') ? fileURLToPath(url) : undefined;
}

export function createStackDriver(config: DriverConfig): StackDriver {
  let command: Promise<PulumiCommand> | undefined;
  const pulumiCommand = () => (command ??= PulumiCommand.get({ root: dirname(dirname(resolveTool(config, 'pulumi'))), skipVersionCheck: true }));
  const root = projectRoot();
  const nodeModules = join(root, 'node_modules');
  const pluginDir = dynamicProviderPlugin(config.pulumi.home, nodeModules);
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: config.pulumi.backendUrl,
    PULUMI_CONFIG_PASSPHRASE: config.pulumi.passphrase,
    PULUMI_HOME: config.pulumi.home,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
    PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: 'true',
    // The dynamic provider plugin (from @pulumi/pulumi); its code `require`s dockerode from NODE_PATH.
    PATH: `${pluginDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    NODE_PATH: nodeModules,
    ...(config.docker.host ? { DOCKER_HOST: config.docker.host } : {}),
  };

  /** Stacks selected once per driver: later operations pass their program to `up` and skip `stack select`. */
  const selected = new Map<string, Promise<Stack>>();
  const cachedStack = (name: string, program: () => Promise<object>): Promise<Stack> => {
    let s = selected.get(name);
    if (!s) {
      s = workspace(name, program, true);
      selected.set(name, s);
      s.catch(() => selected.delete(name));
    }
    return s;
  };

  async function workspace(name: string, program: () => Promise<object>, create: boolean): Promise<Stack> {
    const workDir = join(config.home, 'pulumi-work', name);
    mkdirSync(workDir, { recursive: true });
    mkdirSync(config.pulumi.home, { recursive: true });
    const dir = backendDir(config.pulumi.backendUrl);
    if (dir) mkdirSync(dir, { recursive: true });
    const args = { stackName: name, projectName: PULUMI_PROJECT, program };
    const opts = {
      workDir,
      pulumiHome: config.pulumi.home,
      pulumiCommand: await pulumiCommand(),
      envVars,
      projectSettings: { name: PULUMI_PROJECT, runtime: 'nodejs' as const, backend: { url: config.pulumi.backendUrl } },
    };
    return create ? LocalWorkspace.createOrSelectStack(args, opts) : LocalWorkspace.selectStack(args, opts);
  }

  /**
   * Runs op; a lock left by a dead process (a killed worker) is cleared once and op retried. The killed
   * update's pending operations are dropped too: creates of containers it may or may not have finished,
   * which the retry adopts by name.
   */
  async function locked<T>(name: string, op: () => Promise<T>, stack?: () => Promise<Stack>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof PulumiConcurrentUpdateError)) throw translate(err);
      const dir = backendDir(config.pulumi.backendUrl);
      if (dir && clearStaleLocks(dir, PULUMI_PROJECT, name).length > 0) {
        try {
          if (stack) await dropPendingOperations(await stack());
          return await op();
        } catch (again) {
          throw translate(again);
        }
      }
      throw translate(err);
    }
  }

  /** The outputs as the checkpoint holds them (no traffic record applied). */
  async function checkpointOutputs(service: string, environment: string): Promise<StackOutputs | null> {
    const name = stackName(service, environment);
    const dir = backendDir(config.pulumi.backendUrl);
    const fast = dir ? readCheckpointOutputs(dir, PULUMI_PROJECT, name) : undefined;
    if (fast !== undefined) return fast?.spec && fast.state ? ({ spec: fast.spec, state: fast.state } as StackOutputs) : null;
    let stack: Stack;
    try {
      stack = await workspace(name, async () => ({}), false);
    } catch (err) {
      if (err instanceof StackNotFoundError) return null;
      throw translate(err);
    }
    const out = await stack.outputs().catch((err: unknown) => {
      throw translate(err);
    });
    if (!out.spec || !out.state) return null;
    return { spec: out.spec.value, state: out.state.value } as StackOutputs;
  }

  return {
    async up(spec, progress, options) {
      const started = Date.now();
      const dir = backendDir(config.pulumi.backendUrl);
      const program = createReleaseProgram(spec);
      // The spec carries the recorded weight (it was read through `outputs`): from here on the checkpoint holds it.
      clearTrafficRecord(trafficRecordDir(config), spec.stack);
      let changes: Record<string, number> = {};
      const run = async () => {
        const stack = await cachedStack(spec.stack, program);
        const opts = {
          program,
          color: 'never' as const,
          onOutput: progress?.onOutput,
          suppressProgress: true,
          ...(options?.replace?.length ? { replace: options.replace } : {}),
          onEvent: (e: EngineEvent) => {
            if (e.summaryEvent) changes = e.summaryEvent.resourceChanges as Record<string, number>;
          },
        };
        return dir ? upWithoutReadback(stack, opts) : stack.up(opts);
      };
      const result = await locked(spec.stack, async () => {
        try {
          return await run();
        } catch (err) {
          // The stack may have been removed by another process since it was selected: select it anew.
          if (!(err instanceof StackNotFoundError) && !/no stack named/.test(String(err))) throw err;
          selected.delete(spec.stack);
          return run();
        }
      }, () => cachedStack(spec.stack, program));
      const read = dir ? readCheckpointOutputs(dir, PULUMI_PROJECT, spec.stack) : undefined;
      const raw = read ?? Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
      if (!raw?.spec || !raw.state) throw new StackOperationError(`stack ${spec.stack} has no outputs after the update`, '');
      const outputs = { spec: raw.spec, state: raw.state } as StackOutputs;
      return { ...outputs, durationMs: Date.now() - started, changes: read ? changes : ((result.summary?.resourceChanges ?? {}) as Record<string, number>) };
    },

    async outputs(service, environment) {
      const out = await checkpointOutputs(service, environment);
      return out && withTrafficRecord(out, readTrafficRecord(trafficRecordDir(config), out.spec.stack));
    },

    async recordTraffic(service, environment, releaseId, weight) {
      const out = await checkpointOutputs(service, environment);
      if (!out) throw new StackOperationError(`stack ${stackName(service, environment)} has no outputs: no traffic to record`, '');
      writeTrafficRecord(trafficRecordDir(config), { stack: out.spec.stack, releaseId, weight, base: specDigest(out.spec), at: new Date().toISOString() });
    },

    async destroy(service, environment, progress) {
      const name = stackName(service, environment);
      let stack: Stack;
      try {
        stack = await workspace(name, async () => ({}), false);
      } catch (err) {
        if (err instanceof StackNotFoundError) return;
        throw translate(err);
      }
      selected.delete(name);
      await locked(name, () => stack.destroy({ color: 'never', onOutput: progress?.onOutput }));
      await stack.workspace.removeStack(name);
      clearTrafficRecord(trafficRecordDir(config), name);
    },

    async exportState(service, environment) {
      const stack = await workspace(stackName(service, environment), async () => ({}), false);
      const deployment = await stack.exportStack();
      return deployment.deployment as Awaited<ReturnType<StackDriver['exportState']>>;
    },
  };
}

/** Removes the pending operations an interrupted update left in the checkpoint; returns how many. */
async function dropPendingOperations(stack: Stack): Promise<number> {
  const exported = await stack.exportStack();
  const deployment = exported.deployment as { pending_operations?: unknown[] };
  const pending = deployment.pending_operations?.length ?? 0;
  if (pending === 0) return 0;
  delete deployment.pending_operations;
  await stack.importStack(exported);
  return pending;
}

/**
 * The `pulumi-resource-pulumi-nodejs` plugin that runs dynamic providers. @pulumi/pulumi ships it as a
 * shell script that starts node once just to find the provider's path; this one execs the provider
 * directly with the node running airlock (one node start less per update). Written once per PULUMI_HOME.
 */
function dynamicProviderPlugin(pulumiHome: string, nodeModules: string): string {
  const dir = join(pulumiHome, 'bin');
  const file = join(dir, 'pulumi-resource-pulumi-nodejs');
  const provider = join(nodeModules, '@pulumi', 'pulumi', 'cmd', 'dynamic-provider', 'index.js');
  const script = `#!/bin/sh\n# Written by airlock (infra/deploy/stack.ts)\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(provider)} "$@"\n`;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(file) || readFileSync(file, 'utf8') !== script) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, script, { mode: 0o755 });
    renameSync(tmp, file);
  }
  return dir;
}

/**
 * `stack.up` without its read-back: after every up the automation API runs `pulumi stack output` and
 * `pulumi stack history` (two more CLI processes: seconds on a busy machine). With a file backend the
 * driver reads the outputs from the checkpoint and the change summary from the engine events instead.
 */
function upWithoutReadback(stack: Stack, opts: Parameters<Stack['up']>[0]) {
  const quiet = Object.create(stack) as Stack; // inherits everything; only the two read-backs change
  quiet.outputs = async () => ({});
  quiet.info = async () => undefined;
  return Stack.prototype.up.call(quiet, opts);
}

const DOCKER_DOWN = /(connect ENOENT|ECONNREFUSED).*docker\.sock|Cannot connect to the Docker daemon|connect ENOENT \/var\/run\/docker\.sock/;

/** Pulumi's errors as the driver's: locked (retry later), Docker down (retry later), program failed. */
export function translate(err: unknown): Error {
  if (err instanceof PulumiConcurrentUpdateError) return new StackLockedError(`the stack is being updated by another operation: ${lastLines(err.message, 3)}`);
  const message = err instanceof Error ? err.message : String(err);
  if (DOCKER_DOWN.test(message)) return new DockerDownError(`Docker is not reachable: ${lastLines(message, 3)}`);
  return new StackOperationError(`pulumi operation failed: ${diagnostics(message)}`, message);
}

const lastLines = (text: string, n: number) => text.trim().split('\n').slice(-n).join(' | ');

/** The lines of Pulumi's output that say what failed (the "error:" diagnostics), else its last lines. */
export function diagnostics(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const errors = lines.filter((l) => /^error:/.test(l) && !/update failed$/.test(l));
  const unique = [...new Set(errors.map((l) => l.replace(/^error:\s*/, '')))];
  return unique.length ? unique.join(' | ').slice(0, 2000) : lastLines(output, 5).slice(0, 2000);
}
