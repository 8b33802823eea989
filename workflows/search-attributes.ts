import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES, type SearchAttributeName } from '../model/names';
import type { OutcomeKind, PipelineInput, Stage } from '../model/pipeline';
import type { RiskLevel } from '../model/risk';

// Typed Keyword search attributes (registered on the namespace by `airlock dev up`); `airlock list` is a
// visibility query over them, e.g. AirlockEnvironment="prod" AND AirlockStage="approval".

const keyword = (name: SearchAttributeName) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);

export const SEARCH_KEYS = {
  service: keyword('AirlockService'),
  environment: keyword('AirlockEnvironment'),
  stage: keyword('AirlockStage'),
  riskLevel: keyword('AirlockRiskLevel'),
  outcome: keyword('AirlockOutcome'),
  commit: keyword('AirlockCommit'),
  author: keyword('AirlockAuthor'),
} as const;

/** Every key, for registering them on a (test) server. */
export const searchAttributeKeys = () => SEARCH_ATTRIBUTES.map(keyword);

/** The attributes known at start; the starter sets them too so `airlock list` sees a pipeline at once. */
export function initialSearchAttributes(input: Pick<PipelineInput, 'service' | 'environment' | 'headCommit' | 'author'>) {
  return [
    { key: SEARCH_KEYS.service, value: input.service },
    { key: SEARCH_KEYS.environment, value: input.environment },
    { key: SEARCH_KEYS.commit, value: input.headCommit },
    { key: SEARCH_KEYS.author, value: input.author },
  ];
}

export function upsertStage(stage: Stage): void {
  upsertSearchAttributes([{ key: SEARCH_KEYS.stage, value: stage }]);
}

export function upsertRiskLevel(level: RiskLevel): void {
  upsertSearchAttributes([{ key: SEARCH_KEYS.riskLevel, value: level }]);
}

export function upsertOutcome(outcome: OutcomeKind): void {
  upsertSearchAttributes([
    { key: SEARCH_KEYS.outcome, value: outcome },
    { key: SEARCH_KEYS.stage, value: 'done' },
  ]);
}
