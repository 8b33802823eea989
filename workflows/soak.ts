import { condition } from '@temporalio/workflow';
import { soakCheckEveryMs, type PromotionStep } from '../model/promotion';
import { analyzeCanaryStep } from './rollout';
import { enterStage, type PipelineContext } from './state';

/**
 * The soak: at 100% with the previous release still there to go back to, the canary analysis repeated every
 * soakCheckEveryMs until the soak's durable timer runs out. A failed analysis rolls back (the rollout's saga);
 * abort and a signed `promote` end it early (abort rolls back, promote skips the rest).
 */
export async function soak(ctx: PipelineContext, step: PromotionStep): Promise<{ rollback: string } | undefined> {
  if (step.soakMs <= 0 || ctx.promoteBy) return undefined;
  const entry = ctx.state.promotion?.environments.find((e) => e.environment === step.environment);
  const until = Date.now() + step.soakMs;
  if (entry) {
    entry.status = 'soaking';
    entry.soakUntil = new Date(until).toISOString();
  }
  const way = { enterStage: (s: Parameters<typeof enterStage>[1]) => enterStage(ctx, s) };
  const every = soakCheckEveryMs(step.soakMs);
  for (;;) {
    const verdict = await analyzeCanaryStep(ctx, way, 100);
    if (verdict === 'interrupted') return undefined;
    if (verdict.verdict === 'fail') return { rollback: `soak in ${step.environment} (${step.soak}): ${verdict.reason ?? 'analysis failed at 100%'}` };
    const left = until - Date.now();
    if (left <= 0) return undefined;
    // durable: a timer in the history; abort and promote end it at once
    if (await condition(() => ctx.abort !== undefined || ctx.promoteBy !== undefined, Math.min(left, every))) return undefined;
  }
}
