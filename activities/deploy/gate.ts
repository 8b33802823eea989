import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import type { GateRecord, GateRecordInput } from '../../model/deploy-gate';
import { isSlug } from '../../model/names';
import { parseWith } from '../../model/parse';
import { blockedPromotion } from '../compliance/status';
import type { PipelineInput, PipelineResult } from '../../model/pipeline';

const slug = z.string().refine(isSlug, 'must be a lowercase slug');
const inputSchema = z
  .object({
    service: slug,
    environment: slug,
    imageDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex>'),
    workflowId: z.string().min(1).max(400),
    runId: z.string().min(1).max(100),
  })
  .strict();

/** How many promoted pipelines of one environment are looked at (newest first). */
const SCAN_LIMIT = 200;

/**
 * What Temporal recorded for an image in an environment, as the worker reads it with its own client:
 * pipelines on the worker's own task queue (a workflow on another queue ran on someone else's worker)
 * that completed with outcome `promoted`. The CLI user cannot write this: it is the result of a pipeline
 * that ran here. The evidence issue replaces it with signed evidence.
 */
export function findGateRecord(clientOf: () => Client = () => Context.current().client) {
  return async (raw: GateRecordInput): Promise<GateRecord> => {
    const input = parseWith(inputSchema, raw, 'findGateRecord input');
    const client = clientOf();
    const taskQueue = Context.current().info.taskQueue;
    const query = [
      `WorkflowType = 'deploymentPipeline'`,
      `TaskQueue = '${taskQueue}'`,
      `ExecutionStatus = 'Completed'`,
      `AirlockService = '${input.service}'`,
      `AirlockEnvironment = '${input.environment}'`,
      `AirlockOutcome = 'promoted'`,
    ].join(' AND ');
    const promoted: WorkflowExecutionInfo[] = [];
    for await (const wf of client.workflow.list({ query })) {
      promoted.push(wf);
      if (promoted.length >= SCAN_LIMIT) break;
    }
    promoted.sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0));
    const record: GateRecord = { priorRuns: 0 };
    for (const wf of promoted) {
      Context.current().heartbeat(wf.workflowId);
      const result = (await client.workflow.getHandle(wf.workflowId, wf.runId).result()) as PipelineResult;
      if (result.outcome.kind !== 'promoted') continue;
      if (!record.anchor) {
        const pipelineInput = await startInput(client, wf);
        if (pipelineInput)
          record.anchor = { pipelineId: wf.workflowId, repo: pipelineInput.repo, commit: pipelineInput.headCommit, path: pipelineInput.policyPath };
      }
      if (!record.passed && result.outcome.image.endsWith(`@${input.imageDigest}`))
        record.passed = { pipelineId: wf.workflowId, runId: wf.runId, releaseId: result.outcome.releaseId };
      if (record.passed && record.anchor) break;
    }
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${input.workflowId.replace(/'/g, '')}'` })) if (wf.runId !== input.runId) record.priorRuns += 1;
    // compliance.onViolation: block-promotion (docs/compliance.md): read from the service's rescan schedules
    const nonCompliant = await blockedPromotion(client, input.service, input.imageDigest);
    if (nonCompliant) record.nonCompliant = nonCompliant;
    return record;
  };
}

/** The pipeline's input, from its first history event. */
async function startInput(client: Client, wf: WorkflowExecutionInfo): Promise<PipelineInput | undefined> {
  const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? (defaultPayloadConverter.fromPayload(payload as never) as PipelineInput) : undefined;
}
