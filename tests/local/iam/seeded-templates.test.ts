// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the seeds edit template text, where Fn::Sub uses ${Name} placeholders in plain strings
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AccessDecision,
  authorize,
  buildIamModel,
  findPrincipal,
  type Principal,
} from '../../../local/iam';
import type { ResolvedStack } from '../../../local/template';
import { ACCOUNT, callsOf, loadRealProject, ROOT } from './real-templates';

const HTTPS = { 'aws:SecureTransport': 'true' };

/** A copy of the project's templates with one edit to one template, loaded with workflow v4. */
function seeded(file: string, from: string, to: string): ResolvedStack[] {
  const root = mkdtempSync(join(tmpdir(), 'iam-seeded-'));
  try {
    cpSync(join(ROOT, 'templates'), join(root, 'templates'), { recursive: true });
    cpSync(join(ROOT, 'statemachines'), join(root, 'statemachines'), { recursive: true });
    cpSync(join(ROOT, 'samconfig.toml'), join(root, 'samconfig.toml'));
    const path = join(root, 'templates', file);
    const text = readFileSync(path, 'utf8');
    if (!text.includes(from)) throw new Error(`seed: ${file} does not contain ${from}`);
    writeFileSync(path, text.replace(from, to));
    return loadRealProject('workflow-v4', root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The first refused call of a function's code, or `{ allowed: true }`. */
function firstRefusal(stacks: ResolvedStack[], logicalId: string): AccessDecision & { principal: Principal } {
  const model = buildIamModel(stacks);
  const principal = findPrincipal(model, logicalId, 'function') as Principal;
  const stack = stacks.find((candidate) => candidate.resources[logicalId]) as ResolvedStack;
  for (const call of callsOf(stack.resources[logicalId] as never, stacks)) {
    const outcome = authorize(model, principal, { ...call, ...ACCOUNT }, HTTPS);
    if (!outcome.allowed) return { ...outcome, principal };
  }
  return { allowed: true, principal };
}

describe('seeded templates refused as AWS refuses them', () => {
  it('refuses BatchWriteItem to a purge function that lacks that one action, as DynamoDB words it', () => {
    const stacks = seeded('gdpr.yaml', 'Action: dynamodb:BatchWriteItem', 'Action: dynamodb:DeleteItem');

    const refusal = firstRefusal(stacks, 'PurgeRecordsFunction');

    const table = `arn:aws:dynamodb:eu-west-1:123456789012:table/${String(stacks[1]?.resources.AppTable?.physicalId)}`;
    expect(refusal.allowed).toBe(false);
    if (refusal.allowed) return;
    expect(refusal.error).toEqual({
      code: 'AccessDeniedException',
      statusCode: 400,
      message: `User: ${refusal.principal.sessionArn} is not authorized to perform: dynamodb:BatchWriteItem on resource: ${table} because no identity-based policy allows the dynamodb:BatchWriteItem action`,
    });
    expect(refusal.principal.sessionArn).toMatch(
      /^arn:aws:sts::123456789012:assumed-role\/happy-path-gdpr-PurgeRecordsFunctionRole-[A-Z0-9]{12}\/happy-path-gdpr-PurgeRecordsFunction-[A-Z0-9]{12}$/,
    );
    expect(refusal.logLine).toContain(
      `missing statement {"Effect":"Allow","Action":"dynamodb:BatchWriteItem","Resource":"${table}"}`,
    );
  });

  it('refuses a Query on the per-user index when the grant names the table instead of the index', () => {
    const stacks = seeded(
      'gdpr.yaml',
      "Resource: !Sub ['${Table}/index/ByUser'",
      "Resource: !Sub ['${Table}'",
    );

    const refusal = firstRefusal(stacks, 'BuildPurgeReportFunction');

    expect(refusal.allowed).toBe(false);
    if (refusal.allowed) return;
    expect(refusal.action).toBe('dynamodb:Query');
    expect(refusal.resource).toMatch(/:table\/[^/]+\/index\/ByUser$/);
    expect(refusal.error.message).toContain(
      'because no identity-based policy allows the dynamodb:Query action',
    );
  });

  it('refuses a versioned GetObject with S3 AccessDenied when a statement explicitly denies s3:GetObjectVersion', () => {
    const stacks = seeded(
      'workflow-v4.yaml',
      "      Policies:\n        - S3ReadPolicy:\n            BucketName: !ImportValue {'Fn::Sub': '${BackendStackName}-UploadBucketName'}\n\n  ModerateFunction:",
      "      Policies:\n        - S3ReadPolicy:\n            BucketName: !ImportValue {'Fn::Sub': '${BackendStackName}-UploadBucketName'}\n        - Statement:\n            - Sid: NoOldVersions\n              Effect: Deny\n              Action: s3:GetObjectVersion\n              Resource: '*'\n\n  ModerateFunction:",
    );

    const refusal = firstRefusal(stacks, 'CheckDimensionsFunction');

    expect(refusal.allowed).toBe(false);
    if (refusal.allowed) return;
    const object = `${refusal.resource}`;
    expect(object).toMatch(/^arn:aws:s3:::[a-z0-9-]+\/place-1\/.+\.jpg$/);
    expect(refusal.error).toEqual({
      code: 'AccessDenied',
      statusCode: 403,
      message: `User: ${refusal.principal.sessionArn} is not authorized to perform: s3:GetObjectVersion on resource: "${object}" with an explicit deny in an identity-based policy`,
    });
    expect(refusal.logLine).toContain(
      'explicitly denied by identity-based policy CheckDimensionsFunctionRolePolicy1, statement 0 (Sid NoOldVersions)',
    );
  });

  it('refuses CreateInvalidation when the grant names another distribution', () => {
    const stacks = seeded(
      'gdpr.yaml',
      "distribution/${Id}', {Id: !ImportValue {'Fn::Sub': '${BackendStackName}-PhotoCdnId'}}]",
      "distribution/${Id}', {Id: EOTHERDISTRIBUTION}]",
    );

    const refusal = firstRefusal(stacks, 'PurgeObjectsFunction');

    expect(refusal.allowed).toBe(false);
    if (refusal.allowed) return;
    expect(refusal.action).toBe('cloudfront:CreateInvalidation');
    expect(refusal.error.code).toBe('AccessDenied');
  });
});

describe("the buckets' own policies", () => {
  const stacks = loadRealProject('workflow-v4');
  const model = buildIamModel(stacks);

  it('deny a read of an upload over plain HTTP even to a function allowed to read it (DenyInsecureTransport)', () => {
    const principal = findPrincipal(model, 'ResizeFunction', 'function') as Principal;
    const bucket = String(stacks[1]?.resources.UploadBucket?.physicalId);
    const request = {
      service: 's3',
      operation: 'GetObject',
      params: { Bucket: bucket, Key: 'p/u.jpg' },
      ...ACCOUNT,
    };

    const overHttp = authorize(model, principal, request, { 'aws:SecureTransport': 'false' });

    expect(authorize(model, principal, request, HTTPS)).toEqual({ allowed: true });
    expect(overHttp.allowed).toBe(false);
    if (overHttp.allowed) return;
    expect(overHttp.error.message).toBe(
      `User: ${principal.sessionArn} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket}/p/u.jpg" with an explicit deny in a resource-based policy`,
    );
    expect(overHttp.logLine).toContain(
      'resource-based policy UploadBucketPolicy, statement 0 (Sid DenyInsecureTransport)',
    );
  });
});
