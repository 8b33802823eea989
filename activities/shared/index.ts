// Helpers every stage (and the CLI) uses: one git runner, source reading at a commit, the manifest, the
// heartbeat, the stage-as-activity wrapper and its loggers. Nothing here imports a stage folder.
export { git, gitBytes, gitRaw, gitToFile, readObjects, type GitResult } from './git';
export { archiveTree, gitRoot, pathInRepo, readAtCommit, resolveCommit, sourceOf } from './source';
export { loadManifest, manifestAtCommit, missingManifest, parseManifest, requireManifestAtCommit, serviceSettingsAtCommit } from './manifest';
export { branchTip, displayUrl, repoCacheDir, repoUrl, workerRepo, type FetchHooks, type RepoCacheConfig } from './fetch';
export { keepBeating } from './heartbeat';
export { lineLogger, silentLogger, stageActivity, type StageHooks, type StageLogger } from './stage';
export { parseYaml } from './yaml';
export { isAncestor, protectedBranchContaining } from './branches';
