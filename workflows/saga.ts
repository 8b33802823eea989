import { CancellationScope, log } from '@temporalio/workflow';
import type { FailureCause } from '../model/pipeline';
import { causeOf } from './decisions';

/**
 * Compensations for the deploy steps: registered before each effect (an effect can half-happen), run
 * newest-first, not cancellable, each undo's own failure logged and returned while the others still run.
 */
export class Saga {
  private readonly undo: { name: string; run: () => Promise<unknown> }[] = [];

  add(name: string, run: () => Promise<unknown>): void {
    this.undo.push({ name, run });
  }

  get pending(): number {
    return this.undo.length;
  }

  /** The release is committed: nothing to undo any more. */
  clear(): void {
    this.undo.length = 0;
  }

  /** Runs every undo newest-first; `ran` gets each step's name (with `failed` when it failed). */
  async compensate(ran: string[]): Promise<FailureCause[]> {
    const failures: FailureCause[] = [];
    await CancellationScope.nonCancellable(async () => {
      for (const step of this.undo.splice(0).reverse()) {
        try {
          await step.run();
          ran.push(step.name);
        } catch (err) {
          const cause = causeOf(err);
          log.error('compensation failed', { step: step.name, ...cause });
          failures.push(cause);
          ran.push(`${step.name} failed: ${cause.type}`);
        }
      }
    });
    return failures;
  }
}
