// A worker killed with kill -9 (with its Pulumi child) in the middle of a pipeline's deploy, and a new
// worker started: the pipeline completes, promoted, with one image for the release and one set of
// containers, the same as Pulumi's state (no orphan from the interrupted attempt).
import type { Timeline } from '../../cli/history/timeline';
import { LABELS as IMAGE_LABELS } from '../../activities/build/build-image';
import { createStackDriver } from '../../infra/deploy/stack';
import { dockerClient } from '../../infra/local/probes';
import { SCENARIOS } from '../../cli/demo/scenarios';
import { E2eWorld, useE2eWorld, environmentContainers, PIPELINE_TIMEOUT_MS, SERVICE } from '../support/e2e-world';

let world: E2eWorld;

useE2eWorld({ name: 'crash' }, (w) => (world = w));

test(
  'kill -9 of the worker during deploy, a new worker: promoted, one image, one set of containers',
  async () => {
    const commit = world.repo.commit(SCENARIOS[0]!.change(world.repo));
    const id = world.pipelineId(commit);
    const started = world.trigger();
    expect({ code: started.code, stderr: started.stderr }).toMatchObject({ code: 0 });

    // killed while the worker has deployCandidate in hand (it takes ~2 s now: a fixed delay after the deploy
    // stage began could land in the analysis instead)
    await world.waitForActivityStarted(id, 'deployCandidate');
    const killed = world.worker!;
    await killed.kill9();
    expect(killed.alive).toBe(false);
    await world.startWorker();

    const r = world.trigger('--wait');
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stderr).toContain(`attached to running pipeline ${id}`);
    expect(r.stderr).toMatch(/outcome: promoted/);

    const tl = JSON.parse(world.cli(['history', id, '--json']).stdout) as Timeline;
    const outcome = tl.result!.outcome;
    if (outcome.kind !== 'promoted') throw new Error(`expected promoted, got ${JSON.stringify(outcome)}`);
    const releaseId = tl.result!.releaseId;
    const byActivity = (name: string) => tl.stages.filter((s) => s.activity === name);
    // one build, one deploy; the deploy activity the kill interrupted (deployCandidate, or the first
    // step's analysis, which moves the traffic first, when the status poll was slow) ran again on the new
    // worker and completed
    expect(byActivity('buildImage')).toEqual([expect.objectContaining({ result: 'completed', attempts: 1 })]);
    expect(byActivity('deployCandidate')).toEqual([expect.objectContaining({ result: 'completed' })]);
    const retried = tl.stages.filter((s) => (s.attempts ?? 1) > 1);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(retried.map((s) => s.activity)).toEqual(retried.map(() => expect.stringMatching(/^(deployCandidate|analyze)$/)));

    // one image: one image in the engine labelled with the release, and the registry's tag is the promoted digest
    const docker = dockerClient(world.config);
    const images = await docker.listImages({ all: false, filters: { label: [`${IMAGE_LABELS.releaseId}=${releaseId}`] } });
    expect(images).toHaveLength(1);
    const tags = (await (await fetch(`http://${world.config.registry}/v2/${SERVICE}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.filter((t) => t === releaseId)).toHaveLength(1);
    const head = await fetch(`http://${world.config.registry}/v2/${SERVICE}/manifests/${releaseId}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    });
    expect(`${world.config.registry}/${SERVICE}@${head.headers.get('docker-content-digest')}`).toBe(outcome.image);

    // one set of containers: the release's replica and the router, exactly what Pulumi's state holds
    const containers = await environmentContainers(world.config, world.environment);
    expect(containers.releases.map((c) => c.release)).toEqual([releaseId]);
    expect(containers.routers).toHaveLength(1);
    const state = await createStackDriver(world.config).exportState(SERVICE, world.environment);
    const inStack = (kind: string) => (state.resources ?? []).filter((res) => res.type.endsWith(`/airlock:${kind}`)).map((res) => String(res.id)).sort();
    expect(inStack('ReleaseContainer')).toEqual(containers.releases.map((c) => c.name));
    expect(inStack('RouterContainer')).toEqual(containers.routers);
  },
  2 * PIPELINE_TIMEOUT_MS,
);
