/**
 * Prints a dev JWT for a user, signed with the local data directory's key, to stdout:
 *   tsx local/api/token-cli.ts <userId> [--data-dir .local] [--issuer URL] [--audience NAME] [--expires-in 12h]
 */
import { DEFAULT_AUDIENCE, DEFAULT_DATA_DIR, DEFAULT_ISSUER, signDevToken } from './dev-keys';

export interface TokenCliArguments {
  userId: string;
  dataDir: string;
  issuer: string;
  audience: string;
  expiresIn: string;
}

export class TokenCliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenCliUsageError';
  }
}

const USAGE =
  'usage: token-cli <userId> [--data-dir .local] [--issuer URL] [--audience NAME] [--expires-in 12h]';

const FLAGS: Record<string, keyof Omit<TokenCliArguments, 'userId'>> = {
  '--data-dir': 'dataDir',
  '--issuer': 'issuer',
  '--audience': 'audience',
  '--expires-in': 'expiresIn',
};

export function parseTokenCliArguments(argv: string[]): TokenCliArguments {
  const parsed: TokenCliArguments = {
    userId: '',
    dataDir: DEFAULT_DATA_DIR,
    issuer: DEFAULT_ISSUER,
    audience: DEFAULT_AUDIENCE,
    expiresIn: '12h',
  };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    const [flag = '', inlineValue] = argument.startsWith('--') ? argument.split(/=(.*)/s, 2) : [argument];
    const field = FLAGS[flag];
    if (field) {
      const value = inlineValue ?? argv[index + 1];
      if (inlineValue === undefined) index += 1;
      if (!value) throw new TokenCliUsageError(`${flag} needs a value\n${USAGE}`);
      parsed[field] = value;
    } else if (argument.startsWith('-') || parsed.userId) {
      throw new TokenCliUsageError(`unexpected argument ${argument}\n${USAGE}`);
    } else {
      parsed.userId = argument;
    }
  }
  if (!parsed.userId) throw new TokenCliUsageError(USAGE);
  return parsed;
}

async function main(): Promise<void> {
  try {
    const args = parseTokenCliArguments(process.argv.slice(2));
    const token = await signDevToken({
      dataDir: args.dataDir,
      issuer: args.issuer,
      audience: args.audience,
      subject: args.userId,
      expiresIn: args.expiresIn,
    });
    process.stdout.write(`${token}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof TokenCliUsageError ? 2 : 1;
  }
}

if (require.main === module) void main();
