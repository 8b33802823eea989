export { loadSigningKey, SIGNING_KEY_FILE, SIGNING_PUB_FILE, type SigningKey } from './signing-key';
export { evidencePath, hasEvidence, putEvidence, readEvidence, sha256 } from './store';
export { listAttestations, RegistryAttestations, type AttachResult, type AttestationList, type RegistryAttestationsOptions } from './registry-attestations';
export { attestationTag, envelopeSchema, type Envelope } from './cosign-layout';
