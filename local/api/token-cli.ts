/**
 * Prints a dev JWT for a user, signed with the local data directory's key, to stdout:
 *   npm run token -- <userId> [--data-dir .local] [--issuer URL] [--audience NAME] [--expires-in 12h]
 */
import { existingDirectory, parseCommandLine, runCommand, UsageError } from '../cli-args';
import { DEFAULT_AUDIENCE, DEFAULT_DATA_DIR, DEFAULT_ISSUER, signDevToken } from './dev-keys';

export interface TokenCliArguments {
  userId: string;
  dataDir: string;
  issuer: string;
  audience: string;
  expiresIn: string;
}

/** A command line the token CLI cannot run (the shared UsageError of the local tools). */
export { UsageError as TokenCliUsageError };

const USAGE = `Usage: npm run token -- <userId> [options]
  --data-dir DIR       the data directory of npm start, whose signing key is used (default .local)
  --issuer URL         the token's iss (default ${DEFAULT_ISSUER})
  --audience NAME      the token's aud (default ${DEFAULT_AUDIENCE})
  --expires-in 12h     how long the token is valid (default 12h)`;

export function parseTokenCliArguments(argv: string[]): TokenCliArguments {
  const { values, positionals } = parseCommandLine(
    {
      usage: USAGE,
      options: {
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
  });
  process.stdout.write(`${token}\n`);
  return undefined;
}

if (require.main === module) runCommand('token', main);
