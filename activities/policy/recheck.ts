import { activeFreezeWindow, freezeWindowEndsAt, type LoadedPolicy } from '../../model/policy';
import type { WindowsRecheck } from '../../model/policy-verdict';
import type { RiskAssessment } from '../../model/risk';
import type { ScanSummary } from '../../model/scan';
import { policyVerdict } from './evaluate';

/**
 * The gate again at `now` (the worker's clock), reduced to what changes with time: a freeze window that has
 * started, an exception that has expired. Pure: the same verdict function as the policy stage.
 */
export function recheckWindows(loaded: LoadedPolicy, scan: ScanSummary, risk: RiskAssessment | undefined, now: Date, environment: string): WindowsRecheck {
  const verdict = policyVerdict(loaded, scan, risk, now, { environment, action: 'deploy' });
  const blocking = verdict.violations.filter((v) => v.blocking);
  const window = activeFreezeWindow(loaded.policy, environment, now);
  return {
    checkedAt: now.toISOString(),
    allowed: blocking.length === 0,
    violations: blocking.map((v) => `${v.rule}: ${v.detail}`),
    otherBlocking: blocking.filter((v) => v.rule !== 'freeze-window').length,
    ...(window
      ? { freeze: { name: window.name, endsAt: new Date(freezeWindowEndsAt(window, now)).toISOString(), duringRollout: loaded.policy.freeze?.duringRollout ?? 'hold' } }
      : {}),
  };
}
