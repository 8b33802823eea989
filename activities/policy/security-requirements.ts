import type { SecurityRequirements } from '../../model/policy';

/**
 * What airlock can check for each `security_requirements` entry from a scan of the image, and what it
 * cannot. Checks strengthen the secrets gate; everything else is reported as not verifiable here: the
 * runtime security stage (docs/runtime-security.md) verifies authentication, input validation, error
 * handling and logging on the running candidate, for the endpoints airlock.yaml declares.
 */
export interface RequirementChecks {
  /** Credentials (any secret but a private key) block even when gates.secrets.allowed is true. */
  credentialsBlock: boolean;
  /** Private keys baked into the image block even when gates.secrets.allowed is true. */
  privateKeysBlock: boolean;
  notVerifiable: string[];
}

const NOT_VERIFIABLE: Record<keyof SecurityRequirements, string> = {
  authentication:
    'whether every endpoint requires authentication needs a test of the running service (the runtime-security stage probes the declared endpoints); checked here: no credentials baked into the image',
  encryption_at_rest: 'storage encryption is configured outside the image',
  encryption_in_transit:
    'TLS termination and certificate checks happen outside the image (the runtime-security stage reports plain HTTP as not served); checked here: no private keys baked into the image',
  input_validation: 'input validation needs tests of the running service (the runtime-security stage probes the declared endpoints)',
  error_handling: 'error handling needs tests of the running service (the runtime-security stage probes the declared endpoints)',
  logging: 'log coverage needs the running service (the runtime-security stage reads the candidate\'s logs for its probes)',
};

const ENFORCED: Record<keyof SecurityRequirements, string[]> = {
  authentication: ['mandatory'],
  encryption_at_rest: ['required'],
  encryption_in_transit: ['required'],
  input_validation: ['strict', 'basic'],
  error_handling: ['secure'],
  logging: ['comprehensive', 'basic'],
};

export function requirementChecks(req: SecurityRequirements): RequirementChecks {
  const notVerifiable: string[] = [];
  for (const key of Object.keys(NOT_VERIFIABLE) as (keyof SecurityRequirements)[]) {
    const value = req[key];
    if (value && ENFORCED[key].includes(value)) notVerifiable.push(`${key}: ${value}: not verifiable here: ${NOT_VERIFIABLE[key]}`);
  }
  return {
    credentialsBlock: req.authentication === 'mandatory',
    privateKeysBlock: req.encryption_in_transit === 'required',
    notVerifiable,
  };
}
