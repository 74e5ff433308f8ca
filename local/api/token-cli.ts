/**
 * Prints a dev JWT for a user, signed with the local data directory's key, to stdout:
 *   npm run token -- <userId> [--approver] [--data-dir .local] [--issuer URL] [--audience NAME] [--expires-in 12h]
 * `--approver` adds the GDPR approver scope (templates/gdpr.yaml ApproverScope's default), which
 * the erasure decision requires besides the signed link.
 */
import { existingDirectory, parseCommandLine, runCommand, UsageError } from '../cli-args';
import { DEFAULT_AUDIENCE, DEFAULT_DATA_DIR, DEFAULT_ISSUER, signDevToken } from './dev-keys';

/** The default ApproverScope of templates/gdpr.yaml: the scope an erasure approver's token carries. */
export const APPROVER_SCOPE = 'happy-path/erasure-approver';

export interface TokenCliArguments {
  userId: string;
  /** Adds the approver scope (`scope` claim). */
  approver: boolean;
  dataDir: string;
  issuer: string;
  audience: string;
  expiresIn: string;
}

/** A command line the token CLI cannot run (the shared UsageError of the local tools). */
export { UsageError as TokenCliUsageError };

const USAGE = `Usage: npm run token -- <userId> [options]
  --approver           add the GDPR approver scope (${APPROVER_SCOPE}): the token may decide erasures
  --data-dir DIR       the data directory of npm start, whose signing key is used (default .local)
  --issuer URL         the token's iss (default ${DEFAULT_ISSUER})
  --audience NAME      the token's aud (default ${DEFAULT_AUDIENCE})
  --expires-in 12h     how long the token is valid (default 12h)`;

export function parseTokenCliArguments(argv: string[]): TokenCliArguments {
  const { values, positionals } = parseCommandLine(
    {
      usage: USAGE,
      options: {
        approver: { type: 'boolean', default: false },
        'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
        issuer: { type: 'string', default: DEFAULT_ISSUER },
        audience: { type: 'string', default: DEFAULT_AUDIENCE },
        'expires-in': { type: 'string', default: '12h' },
      },
      positionals: { min: 1, max: 1, names: 'user id' },
    },
    argv,
  );
  return {
    userId: positionals[0] ?? '',
    approver: values.approver,
    dataDir: values['data-dir'],
    issuer: values.issuer,
    audience: values.audience,
    expiresIn: values['expires-in'],
  };
}

async function main(): Promise<undefined> {
  const args = parseTokenCliArguments(process.argv.slice(2));
  existingDirectory('data-dir', args.dataDir, 'npm start creates it; pass the one npm start uses');
  const token = await signDevToken({
    dataDir: args.dataDir,
    issuer: args.issuer,
    audience: args.audience,
    subject: args.userId,
    expiresIn: args.expiresIn,
    ...(args.approver ? { claims: { scope: APPROVER_SCOPE } } : {}),
  });
  process.stdout.write(`${token}\n`);
  return undefined;
}

if (require.main === module) runCommand('token', main);
