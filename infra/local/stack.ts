import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../model/names';
import type { AirlockConfig } from '../config';
import { logFile, logTail, ownedPid, sleep, startProcess, stopProcess, type ManagedProcess, type ProcessDirs } from './processes';
import { probePrometheus, probeRegistry, probeTemporal, probeTemporalUi, type ComponentStatus } from './probes';
import { projectRoot, resolveTool } from './tools';

/** The services `airlock dev up` runs as host processes, in start order. */
export const SERVICES = ['temporal', 'temporal-ui', 'registry', 'prometheus'] as const;
export type ServiceName = (typeof SERVICES)[number];

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

const isLoopback = (host: string) => /^(127\.|localhost$|\[?::1\]?$)/.test(host);
const splitHostPort = (hp: string): [string, number] => {
  const i = hp.lastIndexOf(':');
  return [hp.slice(0, i), Number(hp.slice(i + 1))];
};

/** The services `dev up` starts with this config: all of SERVICES, less the UI when AIRLOCK_TEMPORAL_UI=off. */
export const servicesToStart = (config: AirlockConfig): ServiceName[] =>
  SERVICES.filter((name) => name !== 'temporal-ui' || config.temporal.ui !== 'off');

/** Directory Prometheus reads scrape targets from (file_sd): deploys drop `<name>.json` files here. */
export const prometheusTargetsDir = (config: Pick<AirlockConfig, 'dirs'>): string => config.dirs.prometheusTargets;

/**
 * Dynamic config of the dev server `airlock dev up` starts (`key=value`, value in YAML):
 * - eager activity dispatch: an activity scheduled by a workflow task completion starts in the same worker
 *   without a trip through matching;
 * - the history service's transfer queue (the tasks that hand workflow and activity tasks to matching,
 *   start children, deliver signals) may poll its store 1000 times a second instead of the default 20:
 *   at 20 every workflow task and activity waited up to 50 ms (~35 ms on average) after the event that
 *   caused it, whatever the load (issue 13, docs/architecture.md "Benchmark"). On an idle server it polls
 *   only when notified of new tasks, so the cap costs nothing while nothing happens.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['system.enableActivityEagerExecution=true', 'history.transferProcessorMaxPollRPS=1000'] as const;

/**
 * The dev server's arguments. Always headless: its built-in web UI cannot be made read-only (temporal CLI
 * 1.5.1 builds its UI config without DisableWriteActions), and a UI that can reset, signal and terminate is a
 * door around the gate for anyone who can open it. The UI runs as its own read-only service (temporal-ui).
 */
export function temporalArgs(config: AirlockConfig): string[] {
  const [host, port] = splitHostPort(config.temporal.address);
  return [
    'server', 'start-dev',
    '--db-filename', config.temporal.dbFile,
    '--ip', host,
    '--port', String(port),
    '--headless',
    '--namespace', config.temporal.namespace,
    '--log-level', 'warn',
    ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    // Eager activity dispatch: an activity scheduled by a workflow task completed on the worker that runs
    // it starts on that worker at once, without a round trip through the matching service (issue 13).
    ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((kv) => ['--dynamic-config-value', kv]),
  ];
}

/**
 * The settings of the standalone Temporal UI server (keys of ui-server/v2 server/config/config.go): loopback
 * only, every write action off. disableWriteActions makes the server answer 405 to every non-GET API call but
 * workflow queries (server/route/api.go DisableWriteMiddleware); the per-action switches also hide the buttons.
 */
export function temporalUiConfig(config: AirlockConfig): Record<string, unknown> {
  return {
    temporalGrpcAddress: config.temporal.address,
    host: '127.0.0.1',
    port: config.temporal.uiPort,
    enableUi: true,
    defaultNamespace: config.temporal.namespace,
    notifyOnNewVersion: false,
    disableWriteActions: true,
    ...Object.fromEntries(TEMPORAL_UI_WRITE_SWITCHES.map((key) => [key, true])),
  };
}

/** The per-action "disabled" switches of the UI server, all set by temporalUiConfig. */
export const TEMPORAL_UI_WRITE_SWITCHES = [
  'workflowTerminateDisabled',
  'workflowCancelDisabled',
  'workflowSignalDisabled',
  'workflowUpdateDisabled',
  'workflowResetDisabled',
  'batchActionsDisabled',
  'startWorkflowDisabled',
  'activityCommandsDisabled',
] as const;

/** The UI server reads <root>/<config>/<env>.yaml; temporalUiProcess writes it (JSON is YAML) under $AIRLOCK_HOME/temporal-ui. */
export const temporalUiArgs = (config: AirlockConfig): string[] => ['--root', config.temporal.uiDir, '--config', 'config', '--env', 'airlock', 'start'];

export function temporalUiProcess(config: AirlockConfig): ManagedProcess {
  const dir = join(config.temporal.uiDir, 'config');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'airlock.yaml'), `${JSON.stringify(temporalUiConfig(config), null, 2)}\n`);
  return { name: 'temporal-ui', command: resolveTool(config, 'temporal-ui'), args: temporalUiArgs(config) };
}

function temporalProcess(config: AirlockConfig): ManagedProcess {
  mkdirSync(join(config.home, 'temporal'), { recursive: true });
  return { name: 'temporal', command: resolveTool(config, 'temporal'), args: temporalArgs(config) };
}

function registryProcess(config: AirlockConfig): ManagedProcess {
  const dir = join(config.home, 'registry');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }, delete: { enabled: true } }`,
      `http: { addr: ${JSON.stringify(config.registry)} }`,
      '',
    ].join('\n'),
  );
  return { name: 'registry', command: '/usr/bin/docker-registry', args: ['serve', file] };
}

function prometheusProcess(config: AirlockConfig): ManagedProcess {
  const dir = join(config.home, 'prometheus');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(prometheusTargetsDir(config), { recursive: true });
  const url = new URL(config.prometheusUrl);
  const listen = `${url.hostname}:${url.port || 9090}`;
  const file = join(dir, 'prometheus.yml');
  // Scrapes every second so that canary analysis sees a bad release within seconds.
  writeFileSync(
    file,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      `  - job_name: prometheus`,
      `    static_configs: [{ targets: [${JSON.stringify(listen)}] }]`,
      `  - job_name: airlock`,
      `    file_sd_configs: [{ files: [${JSON.stringify(join(prometheusTargetsDir(config), '*.json'))}], refresh_interval: 1s }]`,
      '',
    ].join('\n'),
  );
  return {
    name: 'prometheus',
    command: '/usr/bin/prometheus',
    args: [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=7d',
      '--log.level=warn',
    ],
  };
}

const SPECS: Record<ServiceName, { endpointHost: (c: AirlockConfig) => string; process: (c: AirlockConfig) => ManagedProcess; probe: (c: AirlockConfig) => Promise<ComponentStatus>; bootMs: number }> = {
  temporal: { endpointHost: (c) => splitHostPort(c.temporal.address)[0], process: temporalProcess, probe: probeTemporal, bootMs: 60_000 },
  'temporal-ui': { endpointHost: () => '127.0.0.1', process: temporalUiProcess, probe: probeTemporalUi, bootMs: 30_000 },
  registry: { endpointHost: (c) => splitHostPort(c.registry)[0], process: registryProcess, probe: probeRegistry, bootMs: 20_000 },
  prometheus: { endpointHost: (c) => new URL(c.prometheusUrl).hostname, process: prometheusProcess, probe: probePrometheus, bootMs: 30_000 },
};

export type StartOutcome = 'already-running' | 'started' | 'external';

/**
 * Starts one service unless its endpoint already answers. An endpoint that is not on loopback is the
 * user's (Temporal Cloud, a shared registry): airlock never starts those, it only reports them.
 */
export async function ensureService(config: AirlockConfig, dirs: ProcessDirs, name: ServiceName): Promise<StartOutcome> {
  const spec = SPECS[name];
  if ((await spec.probe(config)).ok) return ownedPid(dirs, name) ? 'already-running' : 'external';
  if (!isLoopback(spec.endpointHost(config))) {
    throw new ServiceStartError(`${name}: the configured endpoint ${spec.endpointHost(config)} does not answer, and airlock only starts services on loopback`);
  }
  const proc = spec.process(config);
  const pid = startProcess(dirs, proc);
  const deadline = Date.now() + spec.bootMs;
  let last: ComponentStatus | undefined;
  while (Date.now() < deadline) {
    await sleep(300);
    if (!ownedPid(dirs, name)) {
      throw new ServiceStartError(`${name} exited during start (pid ${pid}); last lines of ${logFile(dirs, name)}:\n${logTail(dirs, name)}`);
    }
    last = await spec.probe(config);
    if (last.ok) return 'started';
  }
  await stopProcess(dirs, name);
  throw new ServiceStartError(`${name} did not answer within ${spec.bootMs / 1000}s (${last?.detail ?? 'no probe'}); log ${logFile(dirs, name)}:\n${logTail(dirs, name)}`);
}

/** Runs scripts/bootstrap.sh (packages, dockerd, tools, base images), streaming its progress. */
export function runBootstrap(config: AirlockConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(projectRoot(), 'scripts', 'bootstrap.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, AIRLOCK_HOME: config.home, AIRLOCK_CACHE: config.cache, AIRLOCK_BASE_IMAGE: config.images.base, AIRLOCK_ROUTER_IMAGE: config.images.router },
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new ServiceStartError(`bootstrap failed (exit ${code}): see the lines above`))));
  });
}

export const processDirs = (config: AirlockConfig): ProcessDirs => ({ run: config.dirs.run, logs: config.dirs.logs });
