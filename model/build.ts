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
  /** Full commit id the image was built from (label org.opencontainers.image.revision). */
  revision?: string;
  /** The final stage's FROM, recorded as label dev.airlock.base-image (the policy's base image allowlist). */
  baseImage?: string;
}

/** `repo@sha256:...` from an image reference and a digest. */
export function pinned(image: string, digest: string): string {
  const repo = image.replace(/:[^/:]+$/, '');
  return `${repo}@${digest}`;
}
