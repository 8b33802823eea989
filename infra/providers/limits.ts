import type { Resources } from '../../model/manifest';

/** The part of Docker's HostConfig that bounds a container (Engine API names and units). */
export interface HostLimits {
  /** bytes */
  Memory: number;
  /** bytes of memory + swap: equal to Memory, so the limit is not silently doubled by swap */
  MemorySwap: number;
  /** CPUs in units of 1e-9 */
  NanoCpus: number;
  PidsLimit: number;
}

/** The Engine API limits of a release container from airlock.yaml's `run.resources` (defaults filled in). */
export function hostLimits(r: Resources): HostLimits {
  const memory = r.memoryMb * 1024 * 1024;
  return { Memory: memory, MemorySwap: memory, NanoCpus: Math.round(r.cpus * 1e9), PidsLimit: r.pids };
}
