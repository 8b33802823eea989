import { z } from 'zod';
import { loadConfig } from '../../infra/config';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { badInput } from '../errors';
import { createKey, keyFile, readKey } from '../keys';
import { printJson } from '../output';
import { publicKeyOf } from '../../model/approval';

const schema = z.object({
  as: z.string({ message: 'is required: the identity the key signs for' }).min(1),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0),
});

export const keysCommand: Command = {
  name: 'keys',
  summary: 'approver signing keys: keys create | show --as <identity>',
  usage: `usage: airlock keys create --as <identity> [--json]
       airlock keys show --as <identity> [--json]

create  makes an ed25519 key in $AIRLOCK_HOME/keys (mode 0600) and prints the policy line with its public key
show    prints the public key of an existing key`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'create' && sub !== 'show') throw badInput(`airlock keys: expected create or show, got ${sub ? `'${sub}'` : 'nothing'}`);
    const args = parseCommandArgs(`keys ${sub}`, rest, { as: { type: 'string' }, ...jsonFlag }, schema);
    const dir = loadConfig().dirs.keys;
    const publicKey = sub === 'create' ? createKey(dir, args.as) : publicKeyOf(readKey(dir, args.as));
    if (args.json) return printJson({ identity: args.as, publicKey, file: keyFile(dir, args.as) });
    process.stdout.write(
      `${sub === 'create' ? 'created' : 'key of'} ${args.as}: ${keyFile(dir, args.as)}\n` +
        `add to an approver group in airlock.policy.yaml:\n    - { id: ${args.as}, publicKey: ${publicKey} }\n`,
    );
  },
};
