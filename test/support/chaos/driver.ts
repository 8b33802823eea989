// Runs chaos plans against an E2eWorld (its own environment and worker process on the real stack): commits
// the run's change, triggers it, approves what waits for a person, injects the fault when the pipeline
// reaches the planned stage, waits for the end, and checks the invariants. Shared by bench/chaos.ts (the
// long run) and test/e2e/chaos-short.test.ts.
import type { Client } from '@temporalio/client';
import { SCENARIOS } from '../../../cli/demo/scenarios';
import type { PipelineState } from '../../../model/pipeline';
import { connectClient } from '../../../infra/temporal/connection';
import { stateQuery } from '../../../workflows/messages';
import { E2eWorld, PIPELINE_TIMEOUT_MS, sleep } from '../e2e-world';
import { inject, type Restore } from './faults';
import { checkInvariants } from './invariants';
import { reached, type ChangeKind, type FaultPlan, type RunResult } from './plan';

const [, endpointScenario, badScenario] = SCENARIOS;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p, sleep(ms).then(() => undefined)]).catch(() => undefined);

export class ChaosDriver {
  private runs = 0;
  /** The last commit that is (or may become) the stable release: a bad change is reset away after its run. */
  private constructor(
    readonly world: E2eWorld,
    private client: Client,
    private readonly log: (line: string) => void,
  ) {}

  static async create(world: E2eWorld, log: (line: string) => void = () => undefined): Promise<ChaosDriver> {
    return new ChaosDriver(world, await connectClient(world.config.temporal), log);
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  private commitChange(change: ChangeKind): string {
    const repo = this.world.repo;
    this.runs += 1;
    if (change === 'docs') {
      repo.edit('README.md', (t) => `${t}\nChaos run ${this.runs}: nothing changed but these words.\n`);
      return repo.commit(`docs: chaos run ${this.runs}`);
    }
    return repo.commit((change === 'bad' ? badScenario! : endpointScenario!).change(repo));
  }

  private async query(id: string): Promise<PipelineState | undefined> {
    return withTimeout(this.client.workflow.getHandle(id).query(stateQuery), 5_000);
  }

  private async closed(id: string): Promise<boolean> {
    const d = await withTimeout(this.client.workflow.getHandle(id).describe(), 5_000);
    return !!d && d.status.name !== 'RUNNING';
  }

  /** Approves as the demo's people would (alice; sam too when security must approve), once the worker is up. */
  private approving = new Set<string>();
  private approve(id: string, state: PipelineState): void {
    const a = state.approval;
    if (state.stage !== 'approval' || !a || !a.deadline || a.decisions.length >= a.needed || !this.world.worker?.alive) return;
    const who = (a.require.includes('security') ? ['sam', 'alice'] : ['alice']).filter((p) => !a.decisions.some((d) => d.approver === p))[0];
    if (!who || this.approving.has(`${id}/${who}`)) return;
    this.approving.add(`${id}/${who}`);
    void this.world.cliAsync(['approve', id, '--as', who, '--comment', 'chaos run']).then((r) => {
      if (r.code !== 0) this.approving.delete(`${id}/${who}`); // tried again at the next poll (the worker may have been killed)
    });
  }

  /** One run: the change, the fault at its stage, the end of the pipeline, the checks. */
  async run(plan: FaultPlan, timeoutMs = PIPELINE_TIMEOUT_MS): Promise<RunResult> {
    const started = Date.now();
    const lastGood = this.world.repo.head();
    const commit = this.commitChange(plan.change);
    const id = this.world.pipelineId(commit);
    const result: RunResult = { plan, pipelineId: id, lost: false, duplicates: [], orphans: [], stopped: [], lockReleased: false, historyComplete: false, durationMs: 0 };
    let restore: Restore | undefined;
    try {
      const t = this.world.trigger();
      if (t.code !== 0) throw new Error(`trigger exited ${t.code}: ${t.stderr.trim().split('\n').pop()}`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = await this.query(id);
        if (state && !result.firedAt && reached(state.stage, plan.stage)) {
          await sleep(plan.delayMs);
          result.firedAt = (await this.query(id))?.stage ?? state.stage;
          if (result.firedAt === 'done') result.firedAt = undefined;
          else {
            this.log(`  ${plan.kind} at ${result.firedAt} (+${plan.delayMs} ms) of ${id}`);
            restore = await inject(plan.kind, this.world);
          }
        }
        if (state) this.approve(id, state);
        if (state?.stage === 'done' || (await this.closed(id))) break;
        if (Date.now() > deadline) {
          result.lost = true;
          break;
        }
        await sleep(state ? 200 : 1000);
      }
    } catch (err) {
      result.error = (err as Error).message;
    } finally {
      await restore?.().catch((err: unknown) => (result.error = `${result.error ?? ''} restore: ${(err as Error).message}`.trim()));
    }
    if (!result.lost && !result.error) await this.judge(result);
    // a bad change never becomes the stable release: the next change builds on the last good commit
    if (result.outcome !== 'promoted') this.world.repo.resetTo(lastGood);
    result.durationMs = Date.now() - started;
    return result;
  }

  private async judge(result: RunResult): Promise<void> {
    try {
      const inv = await checkInvariants(this.client, this.world, result.pipelineId);
      const outcome = inv.timeline?.result?.outcome;
      Object.assign(result, {
        outcome: outcome?.kind,
        detail: outcome?.kind === 'failed' ? `${outcome.stage}: ${outcome.cause.type}: ${outcome.cause.message}` : outcome?.kind === 'rolled_back' ? outcome.reason : undefined,
        duplicates: inv.duplicates,
        orphans: inv.orphans,
        stopped: inv.stopped,
        lockReleased: inv.lockReleased,
        historyComplete: inv.historyComplete,
      });
    } catch (err) {
      result.error = `checks: ${(err as Error).message}`;
    }
  }
}
