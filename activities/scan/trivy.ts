import { spawn } from 'node:child_process';
import { ScannerError } from '../errors';
import { keepBeating, type StageHooks } from '../shared';

/** Flags that keep Trivy offline: no DB, check bundle or version downloads, no telemetry. */
export const OFFLINE_FLAGS = [
  '--skip-db-update',
  '--skip-java-db-update',
  '--skip-check-update',
  '--skip-version-check',
  '--disable-telemetry',
  '--offline-scan',
];

/** What airlock asks Trivy for: part of the scan cache key (policy-independent). */
export const SCANNERS = { scanners: 'vuln,secret,license', imageConfigScanners: 'misconfig,secret' };

export interface ImageScanArgs {
  cacheDir: string;
  output: string;
  image: string;
  offline: boolean;
  /** OCI repository of the vulnerability DB (a mirror of ghcr.io/aquasecurity/trivy-db), online mode only. */
  dbRepository?: string;
}

/**
 * `trivy image` for an image in the registry (pulled by digest, `--insecure` for the plain-HTTP local
 * registry): vulnerabilities, secrets and licenses in the filesystem, misconfigurations and secrets in the
 * image config (Trivy rebuilds the Dockerfile from it: USER, HEALTHCHECK...). All packages are listed so
 * the report converts to a complete SBOM.
 */
export function imageScanArgs(a: ImageScanArgs): string[] {
  return [
    'image',
    '--cache-dir', a.cacheDir,
    '--format', 'json',
    '--output', a.output,
    '--scanners', SCANNERS.scanners,
    '--image-config-scanners', SCANNERS.imageConfigScanners,
    '--list-all-pkgs',
    '--image-src', 'remote',
    '--insecure',
    '--no-progress',
    '--quiet',
    '--timeout', '10m',
    ...(a.offline ? OFFLINE_FLAGS : []),
    ...(!a.offline && a.dbRepository ? ['--db-repository', a.dbRepository] : []),
    a.image,
  ];
}

export function sbomArgs(cacheDir: string, report: string, output: string): string[] {
  return ['convert', '--cache-dir', cacheDir, '--format', 'cyclonedx', '--output', output, '--quiet', report];
}

/**
 * Runs Trivy to completion. Its exit code is not a gate: a non-zero exit means the scanner failed
 * (ScannerError, retryable) and carries the last lines of its stderr. Heartbeats while it runs; killed on abort.
 */
export async function runTrivy(bin: string, args: string[], hooks: StageHooks = {}, phase = 'scan'): Promise<void> {
  if (hooks.signal?.aborted) throw abortReason(hooks.signal);
  const started = Date.now();
  await keepBeating(hooks.heartbeat, () => ({ phase, elapsedMs: Date.now() - started }), () => spawnTrivy(bin, args, hooks.signal), 5000);
}

function spawnTrivy(bin: string, args: string[], abort: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRIVY_NO_PROGRESS: 'true' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    const onAbort = () => child.kill('SIGTERM');
    abort?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      abort?.removeEventListener('abort', onAbort);
      reject(new ScannerError(`trivy could not start (${bin}): ${err.message}`, { bin }));
    });
    child.on('close', (code, signal) => {
      abort?.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      if (abort?.aborted) return reject(abortReason(abort));
      const tail = stderr.trim().split('\n').slice(-6).join('\n');
      reject(new ScannerError(`trivy ${args[0]} failed (${signal ?? `exit ${code}`}):\n${tail}`, { exitCode: code, signal, stderr: tail }));
    });
  });
}

const abortReason = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : new Error('scan cancelled'));

const versions = new Map<string, Promise<string>>();

/** `trivy --version`, once per binary. */
export function trivyVersion(bin: string): Promise<string> {
  let v = versions.get(bin);
  if (!v) {
    v = new Promise((resolve, reject) => {
      const child = spawn(bin, ['--version', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', (err) => reject(new ScannerError(`trivy could not start (${bin}): ${err.message}`, { bin })));
      child.on('close', (code) => {
        try {
          const parsed = JSON.parse(out) as { Version?: string };
          if (code === 0 && parsed.Version) return resolve(parsed.Version);
        } catch {
          /* reported below */
        }
        reject(new ScannerError(`trivy --version failed (exit ${code}): ${out.slice(0, 200)}`, { bin }));
      });
    });
    v.catch(() => versions.delete(bin));
    versions.set(bin, v);
  }
  return v;
}
