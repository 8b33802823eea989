import { bytesToUtf8 } from '@noble/curves/utils';
import { breakGlassMessage, verifyBreakGlass, type BreakGlassSubject } from '../approval';
import type { PolicySnapshot } from '../policy-snapshot';
import { approvalsProblem } from './approvals-check';
import { IN_TOTO_PAYLOAD_TYPE, verifyEnvelope } from './dsse';
import type { TrustedKey } from './keys';
import { LINKS, REQUIRED_LINKS, linkOf, type LinkName } from './predicates';
import { flagChangeSummary, flagKillRecordProblem } from './predicates';
import type { ApprovalsPredicate, BreakGlassPredicate, BuildPredicate, FlagPredicate, PolicyVerdictPredicate, RescanPredicate, RolloutPredicate, VulnPredicate } from './predicates';
import { statementSchema, type Statement } from './statement';

// verifyChain: is every link of a release's evidence signed by the worker, about this image, well formed,
// and do the decisions it records stand? Pure: the caller fetches the envelopes (registry, evidence store)
// and passes the trusted keys; nothing here reads a clock, a file or the network.

export interface LinkResult {
  /** Position in the input; -1 for a required link that is missing. */
  index: number;
  link: LinkName | 'unknown';
  predicateType: string;
  /** keyid of the trusted key whose signature verified. */
  keyid?: string;
  /** When the link's event happened, as the link says (build finished, scan finished, verdict, last decision...). */
  time?: string;
  ok: boolean;
  reason?: string;
  /** What the link records, in one line, where a reader wants it (a flag change: which flag, what happened). */
  summary?: string;
}

export interface ChainOptions {
  /** The image the chain is about: sha256:<hex>. */
  digest: string;
  /** The worker keys whose signatures count. */
  trustedKeys: readonly TrustedKey[];
  /** The judging policy (its approver groups' ed25519 keys and level rules): approvals are re-verified with it. */
  policy?: PolicySnapshot;
  /** Links that must be present; default REQUIRED_LINKS. */
  required?: readonly LinkName[];
}

export interface ChainResult {
  ok: boolean;
  links: LinkResult[];
  /** The first link (in input order, then the missing ones) that does not hold. */
  firstBroken?: LinkResult;
}

/** Links of which a chain holds one: a second one would leave open which one a reader believes. */
const SINGLE: readonly LinkName[] = ['build', 'sbom', 'vuln', 'policy', 'approvals'];

export function verifyChain(envelopes: readonly unknown[], chainOptions: ChainOptions): ChainResult {
  let options = chainOptions;
  const hex = /^sha256:([0-9a-f]{64})$/.exec(options.digest)?.[1];
  if (!hex) throw new RangeError(`not a sha256 digest: ${options.digest}`);
  // policy and approvals: one per environment (a promoted image carries one pair per environment it went to)
  const parsed = new Map<string, { result: LinkResult; predicate: unknown }>();
  // approvals are re-checked with the policy the caller gives, else with the one the signed verdict carries
  const policy = options.policy ?? embeddedApprovalPolicy(envelopes, options.trustedKeys, hex);
  options = { ...options, ...(policy ? { policy } : {}) };
  const links = envelopes.map((envelope, index) => {
    const { result, predicate } = checkLink(envelope, index, hex);
    if (result.ok && result.link !== 'unknown') {
      const key = singleKey(result.link, predicate);
      if (SINGLE.includes(result.link) && parsed.has(key)) return fail(result, `a second ${key.replace('@', ' link for ')}${key.includes('@') ? '' : ' link'} (the first is #${parsed.get(key)!.result.index})`);
      if (!parsed.has(key)) parsed.set(key, { result, predicate });
    }
    return result;
  });
  crossCheck(parsed);
  for (const name of options.required ?? REQUIRED_LINKS)
    if (!links.some((l) => l.link === name)) links.push({ index: -1, link: name, predicateType: LINKS[name].predicateType, ok: false, reason: `the ${name} link is missing` });
  const firstBroken = links.find((l) => !l.ok);
  return { ok: !firstBroken, links, ...(firstBroken ? { firstBroken } : {}) };

  function checkLink(envelope: unknown, index: number, digestHex: string): { result: LinkResult; predicate?: unknown } {
    const result: LinkResult = { index, link: 'unknown', predicateType: '', ok: false };
    const env = verifyEnvelope(envelope, options.trustedKeys);
    if (!env.ok) return { result: fail(result, env.reason) };
    result.keyid = env.keyid;
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { result: fail(result, `payloadType is ${env.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`) };
    let statement: Statement;
    try {
      const s = statementSchema.safeParse(JSON.parse(bytesToUtf8(env.payload)));
      if (!s.success) return { result: fail(result, `not an in-toto Statement v1: ${s.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`) };
      statement = s.data;
    } catch (e) {
      return { result: fail(result, `payload is not JSON: ${(e as Error).message}`) };
    }
    result.predicateType = statement.predicateType;
    const other = statement.subject.find((s) => s.digest.sha256 !== digestHex);
    if (other) return { result: fail(result, `subject ${other.name} has digest sha256:${other.digest.sha256 ?? '(none)'}, not the image's sha256:${digestHex}`) };
    const link = linkOf(statement.predicateType);
    if (!link) return { result: fail(result, `unknown predicate type ${statement.predicateType}`) };
    result.link = link;
    const p = LINKS[link].schema.safeParse(statement.predicate);
    if (!p.success) return { result: fail(result, `${link} predicate: ${p.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`) };
    result.time = timeOf(link, p.data);
    if (link === 'flag') result.summary = flagChangeSummary(p.data as FlagPredicate);
    const problem = linkProblem(link, p.data, options);
    if (problem) return { result: fail(result, problem) };
    return { result: { ...result, ok: true }, predicate: p.data };
  }
}

function fail(result: LinkResult, reason: string): LinkResult {
  return Object.assign(result, { ok: false, reason });
}

/** The checks of one link that need nothing but the link (and the caller's options). */
function linkProblem(link: LinkName, predicate: unknown, options: ChainOptions): string | undefined {
  switch (link) {
    case 'policy': {
      const p = predicate as PolicyVerdictPredicate;
      if (!p.allowed) return `the policy verdict blocked the image: ${p.violations.filter((v) => v.blocking).map((v) => `${v.rule}: ${v.detail}`).join('; ') || 'no violations listed'}`;
      if (p.violations.some((v) => v.blocking)) return 'the verdict says allowed but lists blocking violations';
      return undefined;
    }
    case 'approvals':
      return approvalsProblem(predicate as ApprovalsPredicate, options.digest, options.policy);
    case 'break-glass':
      return breakGlassProblem(predicate as BreakGlassPredicate, options.digest, options.policy);
    case 'flag':
      return flagKillRecordProblem(predicate as FlagPredicate);
    default:
      return undefined;
  }
}

/** The key a link is single under: policy and approvals once per environment, the others once per chain. */
function singleKey(link: LinkName, predicate: unknown): string {
  return link === 'policy' || link === 'approvals' ? `${link}@${(predicate as { environment?: string }).environment ?? ''}` : link;
}

/** The links agree with each other: the approvals of an environment were judged under the policy whose verdict for that environment is recorded. */
function crossCheck(parsed: Map<string, { result: LinkResult; predicate: unknown }>): void {
  const verdicts = [...parsed.entries()].filter(([k]) => k.startsWith('policy@'));
  for (const [key, approvals] of parsed) {
    if (!key.startsWith('approvals@')) continue;
    const ap = approvals.predicate as ApprovalsPredicate;
    const policy = parsed.get(`policy@${ap.environment}`);
    if (!policy) {
      if (verdicts.length) fail(approvals.result, `approvals are for environment ${ap.environment}, the verdict for ${verdicts.map(([, v]) => (v.predicate as PolicyVerdictPredicate).environment).join(', ')}`);
      continue;
    }
    const pv = policy.predicate as PolicyVerdictPredicate;
    if (pv.policy.digest !== ap.judged.policyDigest) fail(approvals.result, `approvals judged under policy ${ap.judged.policyDigest}, the verdict under ${pv.policy.digest}`);
  }
}

/** Break-glass signatures re-checked: distinct members of the group, over the message bound to this image. */
function breakGlassProblem(p: BreakGlassPredicate, digest: string, policy: PolicySnapshot | undefined): string | undefined {
  if (!policy) return 'no approver keys given: the break-glass signatures cannot be re-verified';
  if (policy.policyDigest !== p.policy.digest) return `break-glass was signed under policy ${p.policy.digest}, the keys given are of policy ${policy.policyDigest}`;
  const subject: BreakGlassSubject = { service: p.service, environment: p.environment, imageDigest: digest, reason: p.reason, workflowId: p.workflowId, expiresAt: p.expiresAt };
  if (p.message !== bytesToUtf8(breakGlassMessage(subject))) return 'the recorded break-glass message is not the one bound to this image';
  const members = policy.groups[p.group] ?? [];
  const seen = new Set<string>();
  for (const s of p.signers) {
    const m = members.find((a) => a.id === s.id);
    if (!m) return `${s.id} is not in break-glass group ${p.group}`;
    if (seen.has(s.id)) return `${s.id} signed twice`;
    seen.add(s.id);
    if (!verifyBreakGlass(m.publicKey, s.signature, subject)) return `the break-glass signature of ${s.id} does not verify`;
  }
  return undefined;
}

function timeOf(link: LinkName, predicate: unknown): string | undefined {
  switch (link) {
    case 'build':
      return (predicate as BuildPredicate).runDetails.metadata.finishedOn;
    case 'sbom': {
      const t = (predicate as { metadata?: { timestamp?: unknown } }).metadata?.timestamp;
      return typeof t === 'string' ? t : undefined;
    }
    case 'vuln':
      return (predicate as VulnPredicate).metadata.scanFinishedOn;
    case 'policy':
      return (predicate as PolicyVerdictPredicate).evaluatedAt;
    case 'approvals':
      return (predicate as ApprovalsPredicate).decisions.map((d) => d.at).sort().at(-1);
    case 'rollout':
      return (predicate as RolloutPredicate).finishedAt;
    case 'break-glass':
      return undefined;
    case 'rescan':
      return (predicate as RescanPredicate).scannedAt;
    case 'flag':
      return (predicate as FlagPredicate).recordedAt;
  }
}

/**
 * The approval policy a trusted, well-formed policy link about this image carries (its digest the verdict's
 * policy digest), or undefined: the verdict is signed by a worker key, which read the policy at its anchor.
 */
function embeddedApprovalPolicy(envelopes: readonly unknown[], trustedKeys: readonly TrustedKey[], digestHex: string): PolicySnapshot | undefined {
  for (const envelope of envelopes) {
    const env = verifyEnvelope(envelope, trustedKeys);
    if (!env.ok || env.payloadType !== IN_TOTO_PAYLOAD_TYPE) continue;
    let statement: Statement;
    try {
      const s = statementSchema.safeParse(JSON.parse(bytesToUtf8(env.payload)));
      if (!s.success) continue;
      statement = s.data;
    } catch {
      continue;
    }
    if (linkOf(statement.predicateType) !== 'policy' || statement.subject.some((s) => s.digest.sha256 !== digestHex)) continue;
    const p = LINKS.policy.schema.safeParse(statement.predicate);
    if (p.success && p.data.approvalPolicy && p.data.approvalPolicy.policyDigest === p.data.policy.digest) return p.data.approvalPolicy;
  }
  return undefined;
}
