import type Docker from 'dockerode';
import { putFiles } from '../docker/ops';
import { BACKENDS_CFG, renderBackendsConfig, type HealthCheck } from './config';
import { missingAppServers, planWeightCommands, reweightedServers, routerCommandError, runRuntimeCommands, showServers, type AdminAddress } from './runtime-api';

/**
 * Moves traffic between the router's servers without Pulumi: the config the router loads on a restart
 * (backends.cfg) first, then the live weights through the runtime API. In that order a router restarted
 * at any point comes back with the weights being set, never older ones than what was recorded. Every
 * server must be there already (servers are added and removed by the stack update); a missing one is
 * refused, so the caller falls back to the update. Returns the runtime commands it ran.
 */
export async function routeWeights(docker: Docker, router: string, address: AdminAddress, weights: Record<string, number>, health: HealthCheck): Promise<string[]> {
  const current = await showServers(address);
  const missing = missingAppServers(current, weights);
  if (missing.length) throw routerCommandError(`router ${router} has no server ${missing.join(', ')} in backend app`);
  // the same file RouterServers writes (infra/providers/router-servers.ts): /etc/airlock/backends.cfg
  await putFiles(docker, router, '/etc', { [`airlock/${BACKENDS_CFG}`]: renderBackendsConfig(reweightedServers(current, weights), health) });
  const commands = planWeightCommands(current, weights);
  await runRuntimeCommands(address, commands);
  return commands;
}
