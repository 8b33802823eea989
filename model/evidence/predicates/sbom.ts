import { z } from 'zod';

// The SBOM link: the predicate is Trivy's CycloneDX JSON as it is (cosign's `--type cyclonedx`).

export const CYCLONEDX_TYPE = 'https://cyclonedx.org/bom';

/** Enough of CycloneDX to know it is one; the rest of the document passes through untouched. */
export const sbomPredicateSchema = z
  .object({ bomFormat: z.literal('CycloneDX'), specVersion: z.string().min(1), components: z.array(z.unknown()).optional() })
  .loose();
export type SbomPredicate = z.output<typeof sbomPredicateSchema>;

export function sbomPredicate(cycloneDx: unknown): SbomPredicate {
  const parsed = sbomPredicateSchema.safeParse(cycloneDx);
  if (!parsed.success) throw new RangeError(`not a CycloneDX JSON document: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
