import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { OCI_IMAGE_CONFIG, OCI_MANIFEST, sha256 } from '../../activities/evidence/cosign-layout';
import type { Distribution } from '../../activities/evidence/distribution';

/**
 * A real, tiny image pushed by digest: an image config and one gzipped layer of `layerBytes` (random by
 * default, so each call makes a new digest). Returns the manifest digest.
 */
export async function pushTinyImage(dist: Distribution, repository: string, layerBytes: Buffer = randomBytes(4096)): Promise<string> {
  const layer = gzipSync(layerBytes);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(layerBytes)] } }));
  await dist.pushBlob(repository, layer);
  await dist.pushBlob(repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_IMAGE_CONFIG, size: config.length, digest: sha256(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer.length, digest: sha256(layer) }],
    }),
  );
  return dist.putManifest(repository, sha256(manifest), manifest, OCI_MANIFEST);
}
