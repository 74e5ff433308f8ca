import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertConsoleHost, isLoopbackHost, startConsole, withConsoleOrigin } from '../../../local/console';
import { executionDetail, listExecutionRows, outcomeOf } from '../../../local/console/views';
import { StepFunctionsEngine } from '../../../local/stepfunctions';

const root = join(__dirname, '..', '..', '..');

describe('console host', () => {
  it('treats 127.0.0.0/8, ::1 and localhost as loopback and nothing else', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '192.168.1.10', '::', 'example.com'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('refuses another interface unless remote access is allowed explicitly', async () => {
    expect(() => assertConsoleHost('0.0.0.0', false)).toThrow(/--allow-remote-console/);
    expect(() => assertConsoleHost('0.0.0.0', true)).not.toThrow();
    await expect(startConsole({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback only/);
  });
});

describe('console server before the application runs', () => {
  it('serves its page with a content security policy and answers the API with 503 until attached', async () => {
    const server = await startConsole({ port: 0 });
    try {
      const page = await fetch(`${server.url}/`);
      const api = await fetch(`${server.url}/api/config`);
      const outside = await fetch(`${server.url}/..%2f..%2fpackage.json`);

      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      await expect(page.text()).resolves.toContain('<script type="module" src="/app.js">');
      expect(api.status).toBe(503);
      expect(outside.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('console server requests', () => {
  it('refuses requests addressed to another host name and API posts that are not JSON', async () => {
    const server = await startConsole({ port: 0 });
    server.attach({} as never);
    try {
      const { port } = new URL(server.url);
      const rebound = await new Promise<number | undefined>((resolve, reject) => {
        const request = get(
          { host: '127.0.0.1', port, path: '/', headers: { host: `attacker.example:${port}` } },
          (response) => {
            response.resume();
            resolve(response.statusCode);
          },
        );
        request.on('error', reject);
      });
      const form = await fetch(`${server.url}/api/session`, { method: 'POST', body: 'userId=someone' });

      expect(rebound).toBe(421);
      expect(form.status).toBe(415);
    } finally {
      await server.close();
    }
  });
});

describe('console origin in CORS', () => {
  it('adds the console origin to CorsAllowedOrigins of backend and gdpr, keeping the configured origins', () => {
    const overrides = withConsoleOrigin(
      { backend: { JwtIssuer: 'https://happy-path.local/' } },
      { root, stacks: ['layers', 'backend', 'workflow-v4', 'gdpr'], origin: 'http://127.0.0.1:4571' },
    );

    expect(overrides.backend).toEqual({
      JwtIssuer: 'https://happy-path.local/',
      CorsAllowedOrigins: 'http://localhost:8080,http://127.0.0.1:4571',
    });
    expect(overrides.gdpr?.CorsAllowedOrigins?.split(',')).toContain('http://127.0.0.1:4571');
    expect(overrides.layers).toBeUndefined();
  });

  it('keeps an origin given on the command line and adds the console to it', () => {
    const overrides = withConsoleOrigin(
      { backend: { CorsAllowedOrigins: 'https://app.example.com' } },
      { root, stacks: ['layers', 'backend'], origin: 'http://127.0.0.1:4571' },
    );

    expect(overrides.backend?.CorsAllowedOrigins).toBe('https://app.example.com,http://127.0.0.1:4571');
  });
});

describe('execution outcomes', () => {
  it('reads the upload id and PROCESSED, REJECTED <reason> or FAILED <error> from an execution', () => {
    const input = JSON.stringify({ detail: { uploadId: 'u-1' } });

    expect(outcomeOf({ status: 'SUCCEEDED', input, output: JSON.stringify({ photo: {} }) })).toEqual({
      uploadId: 'u-1',
      outcome: 'PROCESSED',
    });
    expect(
      outcomeOf({
        status: 'SUCCEEDED',
        input,
        output: JSON.stringify({ verdict: { accepted: false, rejection: { reason: 'IMAGE_TOO_SMALL' } } }),
      }),
    ).toEqual({ uploadId: 'u-1', outcome: 'REJECTED IMAGE_TOO_SMALL' });
    expect(outcomeOf({ status: 'FAILED', input, error: 'States.Timeout' })).toEqual({
      uploadId: 'u-1',
      outcome: 'FAILED States.Timeout',
    });
    expect(outcomeOf({ status: 'RUNNING', input: '{}' })).toEqual({ outcome: 'RUNNING' });
  });

  it('lists the states an execution entered in order and marks the one that produced the rejection', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'console-views-'));
    const engine = new StepFunctionsEngine({ dataDir });
    try {
      const machine = engine.registerStateMachine({
        name: 'Views',
        definition: {
          StartAt: 'Check',
          States: {
            Check: {
              Type: 'Pass',
              Result: { accepted: false, rejection: { reason: 'PEOPLE_NOT_ALLOWED' } },
              ResultPath: '$.verdict',
              Next: 'Record rejection',
            },
            'Record rejection': { Type: 'Pass', End: true },
          },
        },
      });
      const { executionArn } = engine.startExecution({
        stateMachineArn: machine.stateMachineArn,
        input: JSON.stringify({ detail: { uploadId: 'u-2' } }),
      });
      await engine.waitForExecution(executionArn);

      const detail = executionDetail(engine, executionArn);
      const rows = listExecutionRows(engine, machine.stateMachineArn);

      expect(detail.states.map((state) => [state.name, state.mark])).toEqual([
        ['Check', 'rejecting'],
        ['Record rejection', undefined],
      ]);
      expect(detail.states[0]?.output).toEqual({
        detail: { uploadId: 'u-2' },
        verdict: { accepted: false, rejection: { reason: 'PEOPLE_NOT_ALLOWED' } },
      });
      expect(rows.executions.map((row) => [row.uploadId, row.outcome])).toEqual([
        ['u-2', 'REJECTED PEOPLE_NOT_ALLOWED'],
      ]);
    } finally {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
