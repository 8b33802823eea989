import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { connectClient } from '../infra/temporal/connection';
import { loadConfig, type AirlockConfig } from '../infra/config';
import { EXIT, ExitError } from './errors';

/** Runs `fn` with a Temporal client, closing the connection afterwards; an unreachable server is exit 1. */
export async function withClient<T>(fn: (client: Client, config: AirlockConfig) => Promise<T>, config = loadConfig()): Promise<T> {
  let client: Client;
  try {
    client = await connectClient(config.temporal);
  } catch (err) {
    throw new ExitError(EXIT.failure, `cannot reach Temporal at ${config.temporal.address}: ${(err as Error).message} (start it with \`npx airlock dev up\`, or set TEMPORAL_ADDRESS)`);
  }
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}

/** A handle on an existing pipeline; an unknown id is bad input (exit 2). */
export async function existingPipeline(client: Client, id: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(id);
  try {
    const d = await handle.describe();
    if (d.type !== 'deploymentPipeline') throw new ExitError(EXIT.badInput, `${id} is a ${d.type} workflow, not an airlock pipeline`);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as Error).name === 'WorkflowNotFoundError')
      throw new ExitError(EXIT.badInput, `unknown pipeline id: ${id} (airlock list shows them)`);
    throw err;
  }
  return handle;
}
