// Output of the build stage: everything downstream uses `image@digest`, never a tag.
export interface BuildResult {
  /** `<registry>/<service>:<releaseId>` */
  image: string;
  /** `sha256:...` manifest digest in the registry */
  digest: string;
  releaseId: string;
  sizeBytes: number;
  durationMs: number;
  /** true when the release id was already built and pushed (idempotent re-run) */
  reused: boolean;
}

/** `repo@sha256:...` from an image reference and a digest. */
export function pinned(image: string, digest: string): string {
  const repo = image.replace(/:[^/:]+$/, '');
  return `${repo}@${digest}`;
}
