import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseWith } from '../model/parse';
import { DEFAULT_TARGET, TARGET_NAME } from '../model/roles';

/**
 * Every endpoint and directory airlock uses, from the environment, parsed once. Empty strings count as
 * unset; numbers are coerced. Tests pass an object instead of touching process.env.
 */
const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:7233');
const url = z.url({ message: 'expected a URL, e.g. http://127.0.0.1:9090' });
const optionalPath = z.string().min(1).optional();

const targetName = z.string().regex(TARGET_NAME, 'a target name is a lowercase slug (letters, digits, dashes)');
const environmentName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,20}$/, 'an environment name is a lowercase slug');
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * `AIRLOCK_WORKER_ROLES`: what this worker process serves, comma-separated: `pipeline` (the workflows and the
 * host-independent activities), `build` (build and scan), `deploy:<target>` (deploy, traffic, analysis,
 * rollback, drift, flags of one target; may repeat). Unset: all of them (pipeline, build and a deploy role for
 * every target of AIRLOCK_ENVIRONMENT_TARGETS and `local`), one process on one host.
 */
export const rolesSchema = z
  .string()
  .transform(list)
  .pipe(
    z
      .array(
        z.union([z.literal('pipeline'), z.literal('build'), z.string().regex(/^deploy:[a-z0-9][a-z0-9-]{0,39}$/, 'a role is pipeline, build or deploy:<target> (target: a lowercase slug)')]),
      )
      .min(1, 'names at least one role'),
  );

/**
 * `AIRLOCK_ENVIRONMENT_TARGETS`: `<environment>=<target>,...`: which target (Docker host) runs each environment.
 * An environment not listed runs on `local`. The operator's: never from a repository or a workflow input.
 */
const environmentTargetsSchema = z
  .string()
  .transform(list)
  .pipe(
    z.array(
      z
        .string()
        .transform((pair) => pair.split('='))
        .pipe(z.tuple([environmentName, targetName], { message: 'expected <environment>=<target>' })),
    ),
  )
  .refine((pairs) => new Set(pairs.map(([env]) => env)).size === pairs.length, 'names an environment twice')
  .transform((pairs) => Object.fromEntries(pairs) as Record<string, string>);

const envSchema = z.object({
  AIRLOCK_HOME: optionalPath,
  AIRLOCK_CACHE: optionalPath,
  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('airlock'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CERT: optionalPath,
  TEMPORAL_TLS_KEY: optionalPath,
  AIRLOCK_TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /**
   * The Temporal web UI `airlock dev up` starts: `read-only` (the default) runs the standalone Temporal UI
   * server with write actions disabled beside the headless dev server; `off` runs no UI. There is no writable
   * mode: a UI that can reset, signal or terminate is a door around the gate (docs/security.md item 13).
   */
  AIRLOCK_TEMPORAL_UI: z.enum(['read-only', 'off']).default('read-only'),
  DOCKER_HOST: z.string().min(1).optional(),
  AIRLOCK_REGISTRY: hostPort.default('127.0.0.1:5000'),
  PROMETHEUS_URL: url.default('http://127.0.0.1:9090'),
  /**
   * Where the deploy worker writes its target's Prometheus scrape targets (file_sd), the directory that
   * target's Prometheus reads; default $AIRLOCK_HOME/prometheus/targets (the Prometheus `dev up` runs).
   */
  AIRLOCK_PROMETHEUS_TARGETS: optionalPath,
  PULUMI_BACKEND_URL: z.string().min(1).optional(),
  PULUMI_CONFIG_PASSPHRASE: z.string().default('airlock-local'),
  AIRLOCK_BASE_IMAGE: z.string().min(1).default('airlock/base:bookworm-1'),
  AIRLOCK_ROUTER_IMAGE: z.string().min(1).default('airlock/router:bookworm-1'),
  AIRLOCK_TEMPORAL_BIN: optionalPath,
  AIRLOCK_TEMPORAL_UI_BIN: optionalPath,
  AIRLOCK_PULUMI_BIN: optionalPath,
  AIRLOCK_TRIVY_BIN: optionalPath,
  /**
   * Trivy vulnerability DB: `online` (Trivy's real DB, downloaded and kept current by Trivy; the default) or
   * `fixture` (the one-advisory DB built from test/fixtures, offline: tests and the demo only).
   */
  AIRLOCK_TRIVY_DB: z.enum(['fixture', 'online']).default('online'),
  /** OCI repository Trivy downloads the DB from in online mode (a mirror); default ghcr.io/aquasecurity/trivy-db. */
  AIRLOCK_TRIVY_DB_REPOSITORY: z.string().min(1).optional(),
  /** The worker's first-release policy (approvers of an environment's first release), outside every repository. */
  AIRLOCK_BOOTSTRAP_POLICY: optionalPath,
  /**
   * The worker's evidence signing key (ECDSA P-256, PKCS#8 PEM, mode 0600): signs every release's in-toto
   * statements. Default $AIRLOCK_HOME/keys/worker-signing.pem, created on first use (docs/evidence.md).
   */
  AIRLOCK_SIGNING_KEY: optionalPath,
  AIRLOCK_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  AIRLOCK_WORKER_ROLES: rolesSchema.optional(),
  /**
   * Whether deployCandidate checks the image's evidence chain itself before creating anything (docs/security.md
   * item 24): `verify` or `off`. Default: `verify` when AIRLOCK_WORKER_ROLES is set (a fleet: the deploy host
   * believes no pipeline worker's word), `off` for the one-process default (its pipeline role just checked).
   */
  AIRLOCK_DEPLOY_ADMISSION: z.enum(['verify', 'off']).optional(),
  /** The worker keys (PEM public keys, one file) whose evidence a deploy host admits; default its own key. */
  AIRLOCK_TRUSTED_KEYS: optionalPath,
  AIRLOCK_ENVIRONMENT_TARGETS: environmentTargetsSchema.default({}),
});

/**
 * The roles a worker serves: the pipeline role, the build role, and the targets it deploys to. `split`: the
 * roles were configured (AIRLOCK_WORKER_ROLES), so the workflows send build and deploy activities to the role
 * queues; unset, one process serves everything on the one task queue, as before issue 20.
 */
export interface WorkerRoles {
  split: boolean;
  pipeline: boolean;
  build: boolean;
  deploy: string[];
}

function workerRoles(roles: string[] | undefined, environmentTargets: Record<string, string>): WorkerRoles {
  if (!roles) return { split: false, pipeline: true, build: true, deploy: [...new Set([DEFAULT_TARGET, ...Object.values(environmentTargets)])] };
  return {
    split: true,
    pipeline: roles.includes('pipeline'),
    build: roles.includes('build'),
    deploy: [...new Set(roles.filter((r) => r.startsWith('deploy:')).map((r) => r.slice('deploy:'.length)))],
  };
}

export type AirlockConfig = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const e = parseWith(envSchema, cleaned, 'environment');
  const home = e.AIRLOCK_HOME ?? join(env.HOME ?? homedir(), '.local', 'state', 'airlock');
  const cache = e.AIRLOCK_CACHE ?? join(env.HOME ?? homedir(), '.cache', 'airlock');
  return {
    home,
    cache,
    logLevel: e.AIRLOCK_LOG_LEVEL,
    /** What this worker process serves (docs/scale-out.md), and which target runs each environment. */
    roles: workerRoles(e.AIRLOCK_WORKER_ROLES, e.AIRLOCK_ENVIRONMENT_TARGETS),
    environmentTargets: e.AIRLOCK_ENVIRONMENT_TARGETS,
    /** The deploy host's own admission check (activities/deploy/admission.ts). */
    deployAdmission: {
      mode: e.AIRLOCK_DEPLOY_ADMISSION ?? (e.AIRLOCK_WORKER_ROLES ? 'verify' : 'off'),
      trustedKeys: e.AIRLOCK_TRUSTED_KEYS,
    },
    bootstrapPolicy: e.AIRLOCK_BOOTSTRAP_POLICY ?? join(home, 'bootstrap.policy.yaml'),
    /** Set: the operator's key file (never created); unset: keys/worker-signing.pem, created on first use. */
    signingKey: e.AIRLOCK_SIGNING_KEY,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS_CERT && e.TEMPORAL_TLS_KEY ? { cert: e.TEMPORAL_TLS_CERT, key: e.TEMPORAL_TLS_KEY } : undefined,
      uiPort: e.AIRLOCK_TEMPORAL_UI_PORT,
      ui: e.AIRLOCK_TEMPORAL_UI,
      dbFile: join(home, 'temporal', 'temporal.db'),
      /** Where `dev up` writes the UI server's config (infra/local/stack.ts temporalUiConfig). */
      uiDir: join(home, 'temporal-ui'),
    },
    docker: { host: e.DOCKER_HOST },
    registry: e.AIRLOCK_REGISTRY,
    prometheusUrl: e.PROMETHEUS_URL.replace(/\/$/, ''),
    pulumi: {
      backendUrl: e.PULUMI_BACKEND_URL ?? `file://${join(home, 'pulumi')}`,
      passphrase: e.PULUMI_CONFIG_PASSPHRASE,
      home: join(home, 'pulumi-home'),
    },
    images: { base: e.AIRLOCK_BASE_IMAGE, router: e.AIRLOCK_ROUTER_IMAGE },
    tools: {
      temporal: e.AIRLOCK_TEMPORAL_BIN,
      'temporal-ui': e.AIRLOCK_TEMPORAL_UI_BIN,
      pulumi: e.AIRLOCK_PULUMI_BIN,
      trivy: e.AIRLOCK_TRIVY_BIN,
    },
    trivy: {
      db: e.AIRLOCK_TRIVY_DB,
      dbRepository: e.AIRLOCK_TRIVY_DB_REPOSITORY,
      cacheDir: join(cache, 'trivy'),
    },
    dirs: {
      logs: join(home, 'logs'),
      run: join(home, 'run'),
      evidence: join(home, 'evidence'),
      workspaces: join(home, 'workspaces'),
      keys: join(home, 'keys'),
      /** The worker's fetched copies of service repositories (activities/shared/fetch.ts). */
      repos: join(home, 'repos'),
      /** Prometheus file_sd of this host's target (infra/local/stack.ts prometheusTargetsDir). */
      prometheusTargets: e.AIRLOCK_PROMETHEUS_TARGETS ?? join(home, 'prometheus', 'targets'),
    },
  };
}
