import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../infra/local/tools';

/** Files a package does not need at run time (types, sources, source maps, docs): a smaller build context and change. */
const NOT_AT_RUNTIME = /\.(ts|mts|cts|map|md|markdown)$/i;

/**
 * The demo service's npm dependencies (its package.json), with everything they need, copied from a
 * node_modules directory (airlock's own by default) into `<serviceDir>/vendor/node_modules`: the image is
 * built without network access, so the packages travel in the build context (examples/demo-service/vendor).
 * Returns the package names copied. A missing package is an error naming the `npm install` that brings it.
 */
export function vendorDemoDependencies(serviceDir: string, from = join(projectRoot(), 'node_modules')): string[] {
  const manifest = JSON.parse(readFileSync(join(serviceDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const target = join(serviceDir, 'vendor', 'node_modules');
  const copied = new Set<string>();
  const queue = Object.keys(manifest.dependencies ?? {});
  while (queue.length) {
    const name = queue.shift()!;
    if (copied.has(name)) continue;
    const source = join(from, name);
    if (!existsSync(join(source, 'package.json')))
      throw new Error(`${name} is not in ${from}: run \`npm install ${name}\` in airlock's checkout (the demo vendors it into the image's build context)`);
    mkdirSync(dirname(join(target, name)), { recursive: true });
    cpSync(source, join(target, name), { recursive: true, dereference: true, filter: (file) => !NOT_AT_RUNTIME.test(file) });
    copied.add(name);
    const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> };
    const peers = Object.keys(pkg.peerDependencies ?? {}).filter((p) => !pkg.peerDependenciesMeta?.[p]?.optional);
    // a package's own nested node_modules came along with it; its other dependencies are hoisted in `from`
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...peers]) if (!existsSync(join(source, 'node_modules', dep))) queue.push(dep);
  }
  return [...copied].sort();
}
