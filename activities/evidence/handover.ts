import { Distribution } from './distribution';
import { pinnedImage } from './cosign-layout';
import { hasEvidence, readEvidence } from './store';
import { RegistryError } from '../errors';

/**
 * Evidence one worker role writes and another reads (docs/scale-out.md): the SBOM scanImage makes on a build
 * worker, which recordEvidence signs into the chain on a pipeline worker. Workers share no disk: the bytes
 * travel as a blob of the image's repository in the registry, named by the digest the workflow carries, and
 * the reader checks them against it (whoever can write to the registry cannot swap them).
 */
export interface EvidenceHandover {
  /** Pushes the evidence file `digest` of the local store next to `image` (a no-op when the registry has it). */
  publish(image: string, digest: string): Promise<void>;
  /** The evidence `digest`: from the local store when it is there, else from the registry, checked. */
  read(image: string, digest: string): Promise<Buffer>;
}

export function evidenceHandover(registry: string, evidenceDir: string, dist = new Distribution(registry)): EvidenceHandover {
  return {
    async publish(image, digest) {
      const { repository } = pinnedImage(image, registry);
      await dist.pushBlob(repository, await readEvidence(evidenceDir, digest));
    },
    async read(image, digest) {
      if (await hasEvidence(evidenceDir, digest)) return readEvidence(evidenceDir, digest);
      const { repository } = pinnedImage(image, registry);
      const bytes = await dist.blobByDigest(repository, digest);
      if (!bytes)
        throw new RegistryError(`registry ${registry}: evidence ${digest} of ${image} is neither in this worker's store nor in the registry (the scan publishes it there)`, {
          registry,
          repository,
          digest,
        });
      return bytes;
    },
  };
}
