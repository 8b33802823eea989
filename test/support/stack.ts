import { probeAll, type ComponentName } from '../../infra/local/probes';
import { loadConfig, type AirlockConfig } from '../../infra/config';

/**
 * Fails (never skips) when a real component the test needs is not up, with the way to get it.
 * The test command (`npm test`) runs `airlock dev up` first, so in CI this only fires on a real breakage.
 */
export async function requireComponents(...names: ComponentName[]): Promise<AirlockConfig> {
  const config = loadConfig();
  const status = await probeAll(config);
  const bad = status.filter((s) => names.includes(s.name as ComponentName) && !s.ok);
  if (bad.length) {
    throw new Error(`needed components are not ok — run \`npx airlock dev up\`:\n${bad.map((s) => `  ${s.name}: ${s.detail}`).join('\n')}`);
  }
  return config;
}
