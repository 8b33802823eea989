import { z } from 'zod';
import { exceptionSchema, securityRequirementsSchema } from './policy';

/**
 * The service's HTTP surface as airlock.yaml declares it (`security.endpoints`), and what the runtime
 * security stage found when it probed the candidate (docs/runtime-security.md). Sandbox-safe: the workflow
 * imports the types.
 */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const securityEndpointSchema = z
  .object({
    /** Literal path (no templates): the probes request exactly this. */
    path: z
      .string()
      .startsWith('/', 'must be an HTTP path starting with /')
      .max(200)
      .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/, 'must be a literal path without query or fragment'),
    method: z.enum(METHODS).default('GET'),
    auth: z.enum(['required', 'public']),
    /** The JSON body the endpoint accepts: field name -> type. Declared: the malformed-body probes are sent. */
    body: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.enum(['string', 'number', 'boolean', 'object', 'array'])).optional(),
  })
  .strict();

export const securitySurfaceSchema = z
  .object({
    endpoints: z
      .array(securityEndpointSchema)
      .min(1)
      .max(100)
      .refine((e) => new Set(e.map((x) => `${x.method} ${x.path}`)).size === e.length, 'each method and path may be declared once'),
  })
  .strict();

export type SecurityEndpoint = z.output<typeof securityEndpointSchema>;
export type SecuritySurface = z.output<typeof securitySurfaceSchema>;

/** `GET /api/entries`: how an endpoint is named in findings, reasons and exceptions. */
export const endpointName = (e: Pick<SecurityEndpoint, 'method' | 'path'>): string => `${e.method} ${e.path}`;

/** The security_requirements the stage checks (model/policy.ts names). */
export const RUNTIME_CHECKS = ['authentication', 'input_validation', 'error_handling', 'encryption_in_transit', 'logging'] as const;
export type RuntimeCheck = (typeof RUNTIME_CHECKS)[number];

/**
 * Per requirement: verified (probed, held), violated (a blocking finding), not-served (TLS: the candidate
 * speaks plain HTTP, TLS is terminated elsewhere: not verified here), not-checked (the policy does not
 * require it, or nothing was there to check; `detail` says which).
 */
export type CheckStatus = 'verified' | 'violated' | 'not-served' | 'not-checked';

export interface RuntimeFinding {
  check: RuntimeCheck;
  /** `GET /api/entries`, or `*` for the whole service (logging, TLS). */
  endpoint: string;
  /** Which probe (e.g. `no-credentials`, `oversized-body`) and its request id. */
  probe: string;
  detail: string;
  /** false: reported only (the policy does not require the check, or an exception covers it). */
  blocking: boolean;
}

export interface RuntimeSecurityReport {
  /** The base URL probed (the candidate's preview URL in a pipeline). */
  url: string;
  endpoints: number;
  requests: number;
  durationMs: number;
  checks: Record<RuntimeCheck, { status: CheckStatus; detail: string }>;
  /** Blocking first; at most MAX_FINDINGS (the count says how many there were). */
  findings: RuntimeFinding[];
  findingCount: number;
  exceptionsApplied: { id: string; owner: string; expires: string; covered: string[] }[];
  /** No blocking finding left. */
  passed: boolean;
  at: string;
}

export const MAX_FINDINGS = 40;

/** One line per blocking finding, for the rollback reason and the pipeline state. */
export function blockingReasons(report: RuntimeSecurityReport): string[] {
  return report.findings.filter((f) => f.blocking).map((f) => `${f.check}: ${f.endpoint}: ${f.detail}`);
}

/**
 * verifyRuntimeSecurity's input: the candidate of a target, the surface airlock.yaml declared at the head
 * commit, and the requirements and exceptions of the policy that judged the change.
 */
export const runtimeSecurityInputSchema = z
  .object({
    releaseId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,80}$/),
    service: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/),
    environment: z.string().regex(/^[a-z0-9][a-z0-9-]{0,20}$/),
    surface: securitySurfaceSchema,
    requirements: securityRequirementsSchema,
    exceptions: z.array(exceptionSchema),
  })
  .strict();
export type RuntimeSecurityInput = z.input<typeof runtimeSecurityInputSchema>;
