// Evidence chain of a release (issue 12): in-toto Statement v1 in DSSE envelopes, signed with the worker's
// ECDSA P-256 key (docs/evidence.md). Pure and sandbox-safe: keys and I/O live in activities/evidence.
export * from './base64';
export * from './chain';
export * from './dsse';
export * from './keys';
export * from './predicates';
export * from './statement';
export { approvalsProblem } from './approvals-check';
