import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Each client module of functions/shared/clients, so a client added there is checked too. */
const clientsFolder = join(__dirname, '..', '..', '..', '..', '..', 'functions', 'shared', 'clients');
const clientModules = readdirSync(clientsFolder).filter((name) => name.endsWith('.ts'));

type Client = { middlewareStack: { identify(): string[] }; send: unknown };
const isClient = (value: unknown): value is Client =>
  typeof value === 'object' && value !== null && 'middlewareStack' in value && 'send' in value;

describe('the SDK clients in Lambda', () => {
  const saved = process.env.AWS_EXECUTION_ENV;

  beforeAll(() => {
    // What Lambda sets: the Tracer traces only there.
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';
    jest.resetModules();
  });

  afterAll(() => {
    if (saved === undefined) delete process.env.AWS_EXECUTION_ENV;
    else process.env.AWS_EXECUTION_ENV = saved;
    jest.resetModules();
  });

  it.each(clientModules)('has every client of clients/%s captured by the X-Ray tracer', async (file) => {
    const exported = Object.values((await import(join(clientsFolder, file))) as Record<string, unknown>);
    const clients = exported.filter(isClient);

    expect(clients.length).toBeGreaterThan(0);
    for (const client of clients) {
      expect(client.middlewareStack.identify()).toContainEqual(
        expect.stringMatching(/^XRaySDKInstrumentation/),
      );
    }
  });
});

describe('the SDK clients outside Lambda', () => {
  it('are not captured, so nothing is traced or reported without an X-Ray daemon', async () => {
    const { s3 } = await import('#clients/s3');

    expect(s3.middlewareStack.identify()).not.toContainEqual(
      expect.stringMatching(/^XRaySDKInstrumentation/),
    );
  });
});
