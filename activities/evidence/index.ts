export { evidencePath, hasEvidence, putEvidence, readEvidence, sha256 } from './store';
