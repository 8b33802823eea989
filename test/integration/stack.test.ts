// Foundation: each real component of the local stack, exercised for real (nothing mocked).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { dockerClient } from '../../infra/local/probes';
import { resolveTool } from '../../infra/local/tools';
import { connectClient } from '../../infra/temporal/connection';
import { createAirlockWorker } from '../../worker/worker';
import type { AirlockConfig } from '../../infra/config';
import { requireComponents } from '../support/stack';

const run = promisify(execFile);
let config: AirlockConfig;
let docker: Docker;

beforeAll(async () => {
  config = await requireComponents('docker', 'registry', 'temporal', 'prometheus', 'pulumi', 'trivy', 'base-image', 'router-image');
  docker = dockerClient(config);
});

async function followBuild(stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()), (event: { error?: string }) => {
      if (event.error) reject(new Error(event.error));
    }),
  );
}

const tag = `${'127.0.0.1:5000'}/airlock-stack-test:${randomUUID().slice(0, 8)}`;

test('docker: builds and runs a container from the base image', async () => {
  const ctx = mkdtempSync(join(tmpdir(), 'airlock-ctx-'));
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${config.images.base}\nRUN echo built > /built.txt\nCMD ["node", "-e", "console.log(require('fs').readFileSync('/built.txt','utf8').trim() + ' ' + process.version)"]\n`);
  try {
    await followBuild(await docker.buildImage({ context: ctx, src: ['Dockerfile'] }, { t: tag }));
    const { stdout } = await run('docker', ['run', '--rm', tag]);
    expect(stdout.trim()).toMatch(/^built v\d+\./);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});

test('registry: pushes and pulls by digest', async () => {
  const push = await docker.getImage(tag).push({ tag: tag.split(':').pop() });
  let digest: string | undefined;
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(push, (err) => (err ? reject(err) : resolve()), (e: { error?: string; aux?: { Digest?: string } }) => {
      if (e.error) reject(new Error(e.error));
      if (e.aux?.Digest) digest = e.aux.Digest;
    }),
  );
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  const res = await fetch(`http://${config.registry}/v2/airlock-stack-test/manifests/${digest}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  expect(res.status).toBe(200);
  const repo = tag.replace(/:[^:]+$/, '');
  await docker.getImage(tag).remove();
  await run('docker', ['pull', `${repo}@${digest}`]);
  const pulled = await docker.getImage(`${repo}@${digest}`).inspect();
  expect(pulled.RepoDigests).toContain(`${repo}@${digest}`);
  await docker.getImage(pulled.Id).remove({ force: true });
});

test('temporal: a workflow runs on the dev server through a real worker', async () => {
  const taskQueue = `stack-test-${randomUUID()}`;
  const worker = await createAirlockWorker(
    { ...config, temporal: { ...config.temporal, taskQueue } },
    { workflowsPath: require.resolve('../fixtures/workflows/hello') },
    { greet: async (name: string) => `hello, ${name}` },
  );
  const client = await connectClient(config.temporal);
  try {
    const result = await worker.runUntil(
      client.workflow.execute('hello', { taskQueue, workflowId: `stack-test/${randomUUID()}`, args: ['airlock'] }),
    );
    expect(result).toBe('hello, airlock');
  } finally {
    await client.connection.close();
  }
});

test('pulumi: up and destroy an inline program with a dynamic resource on the local file backend', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-pulumi-'));
  const marker = join(dir, 'marker.txt');
  try {
    const { stdout } = await run(process.execPath, [join(__dirname, '..', 'support', 'pulumi-smoke.js'), marker], {
      cwd: join(__dirname, '..', '..'),
      env: {
        ...process.env,
        AIRLOCK_PULUMI_BIN: resolveTool(config, 'pulumi'),
        PULUMI_BACKEND_URL: `file://${dir}`,
        PULUMI_CONFIG_PASSPHRASE: 'test',
        PULUMI_HOME: join(dir, 'home'),
      },
      timeout: 240_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { upContent: string; afterDestroy: boolean };
    expect(result.upContent).toBe('created by pulumi');
    expect(result.afterDestroy).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trivy: scans the base image and writes a CycloneDX SBOM', async () => {
  const trivy = resolveTool(config, 'trivy');
  const out = mkdtempSync(join(tmpdir(), 'airlock-trivy-'));
  const common = ['--cache-dir', join(config.trivy.cacheDir, config.trivy.db), '--skip-db-update', '--skip-java-db-update', '--skip-check-update', '--skip-version-check', '--disable-telemetry', '--offline-scan', '--quiet'];
  try {
    await run(trivy, ['image', ...common, '--scanners', 'vuln,secret', '--format', 'json', '--output', join(out, 'report.json'), config.images.base], { timeout: 240_000 });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { ArtifactName: string; Results?: { Target: string }[] };
    expect(report.ArtifactName).toBe(config.images.base);
    expect(report.Results?.some((r) => r.Target.includes('debian'))).toBe(true);
    await run(trivy, ['image', ...common, '--format', 'cyclonedx', '--output', join(out, 'sbom.json'), config.images.base], { timeout: 240_000 });
    const sbom = JSON.parse(readFileSync(join(out, 'sbom.json'), 'utf8')) as { bomFormat: string; components: { name: string }[] };
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.components.map((c) => c.name)).toContain('nodejs');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('prometheus: its scrape target is up', async () => {
  const res = await fetch(`${config.prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{job="prometheus"}')}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  expect(body.data.result[0]?.value[1]).toBe('1');
});
