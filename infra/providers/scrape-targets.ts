import * as pulumi from '@pulumi/pulumi';

/**
 * Prometheus file_sd targets of an environment (router exporter, app metrics), written atomically to the
 * directory Prometheus watches; deleted with the stack.
 */
export interface ScrapeTarget {
  targets: string[];
  labels: Record<string, string>;
}

export interface ScrapeTargetsInputs {
  file: string;
  groups: ScrapeTarget[];
}

async function write(inputs: ScrapeTargetsInputs): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi serializes provider code: modules must be required inside it
  const fs = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi serializes provider code: modules must be required inside it
  const path = require('node:path') as typeof import('node:path');
  fs.mkdirSync(path.dirname(inputs.file), { recursive: true });
  const tmp = `${inputs.file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(inputs.groups, null, 2)}\n`);
  fs.renameSync(tmp, inputs.file);
}

const scrapeTargetsProvider: pulumi.dynamic.ResourceProvider<ScrapeTargetsInputs, ScrapeTargetsInputs> = {
  async create(inputs) {
    await write(inputs);
    return { id: inputs.file, outs: inputs };
  },
  async diff(_id, olds, news) {
    const changes = JSON.stringify(olds.groups) !== JSON.stringify(news.groups) || olds.file !== news.file;
    return { changes, replaces: olds.file !== news.file ? ['file'] : [] };
  },
  async update(_id, _olds, news) {
    await write(news);
    return { outs: news };
  },
  async delete(_id, olds) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi serializes provider code: modules must be required inside it
    const fs = require('node:fs') as typeof import('node:fs');
    fs.rmSync(olds.file, { force: true });
  },
};

export class ScrapeTargets extends pulumi.dynamic.Resource {
  constructor(name: string, args: { file: pulumi.Input<string>; groups: pulumi.Input<pulumi.Input<ScrapeTarget>[]> }, opts?: pulumi.CustomResourceOptions) {
    super(scrapeTargetsProvider, name, args, opts, 'airlock', 'ScrapeTargets');
  }
}
