import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AirlockConfig } from '../config';

export type ToolName = 'temporal' | 'temporal-ui' | 'pulumi' | 'trivy' | 'trivy-db';

const ROOT = join(__dirname, '..', '..', ...(__dirname.includes(`${join('dist', 'infra')}`) ? ['..'] : []));

/** Pinned versions, read from scripts/versions.env (the one place they are written). */
export function pinnedVersions(): Record<ToolName, string> {
  const text = readFileSync(join(ROOT, 'scripts', 'versions.env'), 'utf8');
  const get = (key: string) => {
    const m = new RegExp(`^${key}=(.+)$`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`scripts/versions.env has no ${key}`);
    return m[1].trim();
  };
  return {
    temporal: get('TEMPORAL_VERSION'),
    'temporal-ui': get('TEMPORAL_UI_VERSION'),
    pulumi: get('PULUMI_VERSION'),
    trivy: get('TRIVY_VERSION'),
    'trivy-db': get('TRIVY_DB_VERSION'),
  };
}

export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
}

const overrideVar = (name: ToolName) => `AIRLOCK_${name.toUpperCase().replace(/-/g, '_')}_BIN`;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Path of a tool: the config override (AIRLOCK_<TOOL>_BIN), else the pinned build in the cache, else one on
 * PATH whose version matches the pin. Throws ToolMissingError saying how to get it.
 */
export function resolveTool(config: Pick<AirlockConfig, 'cache'> & { tools: Partial<AirlockConfig['tools']> }, name: ToolName): string {
  const override = name === 'trivy-db' ? undefined : config.tools[name];
  if (override) {
    if (!existsSync(override)) throw new ToolMissingError(`${name}: ${override} (from ${overrideVar(name)}) does not exist`);
    return override;
  }
  const version = pinnedVersions()[name];
  const cached = join(config.cache, 'tools', `${name}-${version}`, 'bin', name);
  if (existsSync(cached)) return cached;
  const found = onPath(name);
  if (found) {
    try {
      const out = execFileSync(found, ['--version'], { encoding: 'utf8', timeout: 10_000 });
      if (out.includes(version.replace(/^v/, ''))) return found;
    } catch {
      /* not usable: fall through to the error */
    }
  }
  throw new ToolMissingError(
    `${name} ${version} is not installed: run \`npx airlock dev up\` (or bash scripts/bootstrap.sh) to build it into ${join(config.cache, 'tools')}, or set ${overrideVar(name)}`,
  );
}

export const projectRoot = (): string => ROOT;
