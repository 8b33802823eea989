// Runs in a plain Node process (not under jest: Pulumi serializes dynamic-provider closures and needs
// real modules). Creates a file through a dynamic resource, reads it, destroys the stack, prints JSON.
const fs = require('node:fs');
const path = require('node:path');
const pulumi = require('@pulumi/pulumi');
const { LocalWorkspace, PulumiCommand } = require('@pulumi/pulumi/automation');

const marker = process.argv[2];

const fileProvider = {
  async create(inputs) {
    require('node:fs').writeFileSync(inputs.path, inputs.content);
    return { id: inputs.path, outs: inputs };
  },
  async delete(id) {
    require('node:fs').rmSync(id, { force: true });
  },
};

class MarkerFile extends pulumi.dynamic.Resource {
  constructor(name, args) {
    super(fileProvider, name, args, {});
  }
}

async function main() {
  const bin = process.env.AIRLOCK_PULUMI_BIN;
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(bin)), skipVersionCheck: false });
  const providerDir = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      stackName: 'smoke',
      projectName: 'airlock-smoke',
      program: async () => {
        const f = new MarkerFile('marker', { path: marker, content: 'created by pulumi' });
        return { id: f.id };
      },
    },
    {
      pulumiCommand,
      envVars: {
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
        PATH: `${providerDir}:${process.env.PATH}`,
      },
    },
  );
  await stack.up();
  const upContent = fs.readFileSync(marker, 'utf8');
  await stack.destroy();
  await stack.workspace.removeStack('smoke');
  process.stdout.write(`${JSON.stringify({ upContent, afterDestroy: fs.existsSync(marker) })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
