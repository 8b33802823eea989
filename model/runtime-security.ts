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

export * from './runtime-security-report';

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
