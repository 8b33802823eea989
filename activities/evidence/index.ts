export { loadSigningKey, SIGNING_KEY_FILE, SIGNING_PUB_FILE, type SigningKey } from './signing-key';
export { evidencePath, hasEvidence, putEvidence, readEvidence, sha256 } from './store';
