// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are ${key} placeholders in plain strings
import {
  type Caller,
  evaluate,
  IamPolicyError,
  type NamedPolicy,
  operatorMatches,
  type PolicyStatement,
  type RequestContext,
} from '../../../local/iam';

const ACCOUNT_ID = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/app-Fn-Role`;

function role(...statements: PolicyStatement[]): Caller {
  return {
    kind: 'role',
    sessionArn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/app-Fn-Role/app-Fn`,
    roleArn: ROLE_ARN,
    accountId: ACCOUNT_ID,
    policies: [{ name: 'FnRolePolicy0', document: { Version: '2012-10-17', Statement: statements } }],
  };
}

const allow = (
  action: string | string[],
  resource: string | string[] = '*',
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: 'Allow', Action: action, Resource: resource, ...extra }) as PolicyStatement;

function decide(caller: Caller, action: string, resource: string, context: RequestContext = {}) {
  return evaluate({ caller, action, resource, context }).decision;
}

describe('evaluate: actions and resources', () => {
  it('matches actions case-insensitively, with * and ? wildcards', () => {
    const caller = role(allow(['S3:getobject', 'dynamodb:*Item', 'sqs:Send?essage']));
    expect([
      decide(caller, 's3:GetObject', 'arn:aws:s3:::b/k'),
      decide(caller, 'dynamodb:PutItem', 'arn:aws:dynamodb:eu-west-1:1:table/t'),
      decide(caller, 'dynamodb:Query', 'arn:aws:dynamodb:eu-west-1:1:table/t'),
      decide(caller, 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:1:q'),
      decide(caller, 's3:GetObjectVersion', 'arn:aws:s3:::b/k'),
    ]).toEqual(['Allow', 'Allow', 'ImplicitDeny', 'Allow', 'ImplicitDeny']);
  });

  it('matches resources case-sensitively, * spanning slashes and ? one character', () => {
    const caller = role(
      allow('s3:GetObject', ['arn:aws:s3:::bucket/reports/*', 'arn:aws:s3:::bucket/a?.txt']),
    );
    expect([
      decide(caller, 's3:GetObject', 'arn:aws:s3:::bucket/reports/r1/report.json'),
      decide(caller, 's3:GetObject', 'arn:aws:s3:::bucket/Reports/r1/report.json'),
      decide(caller, 's3:GetObject', 'arn:aws:s3:::bucket/ab.txt'),
      decide(caller, 's3:GetObject', 'arn:aws:s3:::bucket/abc.txt'),
      decide(caller, 's3:GetObject', 'arn:aws:s3:::bucket'),
    ]).toEqual(['Allow', 'ImplicitDeny', 'Allow', 'ImplicitDeny', 'ImplicitDeny']);
  });

  it('does not let a table grant cover its indexes', () => {
    const table = 'arn:aws:dynamodb:eu-west-1:1:table/app';
    const caller = role(allow('dynamodb:Query', table));
    expect([
      decide(caller, 'dynamodb:Query', table),
      decide(caller, 'dynamodb:Query', `${table}/index/ByUser`),
    ]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('allows everything but the NotAction actions, and every resource but the NotResource ones', () => {
    const caller = role(
      { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
      { Effect: 'Allow', Action: 'iam:GetRole', NotResource: 'arn:aws:iam::1:role/admin*' },
    );
    expect([
      decide(caller, 's3:GetObject', 'arn:aws:s3:::b/k'),
      decide(caller, 'iam:PassRole', 'arn:aws:iam::1:role/x'),
      decide(caller, 'iam:GetRole', 'arn:aws:iam::1:role/app'),
      decide(caller, 'iam:GetRole', 'arn:aws:iam::1:role/admin-1'),
    ]).toEqual(['Allow', 'ImplicitDeny', 'Allow', 'ImplicitDeny']);
  });

  it('lets an explicit Deny win over any Allow and names the denying statement', () => {
    const caller = role(allow('s3:*'), {
      Sid: 'NoDeletes',
      Effect: 'Deny',
      Action: 's3:Delete*',
      Resource: '*',
    });

    const result = evaluate({ caller, action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/k' });

    expect(result).toMatchObject({
      decision: 'ExplicitDeny',
      deniedBy: 'identity-based',
      matchedStatement: { policy: 'FnRolePolicy0', index: 1, sid: 'NoDeletes' },
      reason: 'explicitly denied by identity-based policy FnRolePolicy0, statement 1 (Sid NoDeletes)',
    });
  });

  it('denies implicitly, saying no identity-based policy allows the action, when nothing matches', () => {
    expect(
      evaluate({ caller: role(), action: 'sns:Publish', resource: 'arn:aws:sns:eu-west-1:1:t' }),
    ).toEqual({
      decision: 'ImplicitDeny',
      deniedBy: 'identity-based',
      reason: 'no identity-based policy allows the sns:Publish action on arn:aws:sns:eu-west-1:1:t',
    });
  });

  it('does not match a statement scoped to an ARN for an action that takes no resource (*)', () => {
    const caller = role(allow('rekognition:DetectLabels', 'arn:aws:rekognition:eu-west-1:1:project/*'));
    expect(decide(caller, 'rekognition:DetectLabels', '*')).toBe('ImplicitDeny');
    expect(decide(role(allow('rekognition:DetectLabels')), 'rekognition:DetectLabels', '*')).toBe('Allow');
  });

  it('substitutes policy variables in resources and matches nothing when the variable is missing', () => {
    const caller = role(allow('s3:GetObject', 'arn:aws:s3:::b/home/${aws:username}/*'));
    expect([
      decide(caller, 's3:GetObject', 'arn:aws:s3:::b/home/ana/x', { 'aws:username': 'ana' }),
      decide(caller, 's3:GetObject', 'arn:aws:s3:::b/home/bob/x', { 'aws:username': 'ana' }),
      decide(caller, 's3:GetObject', 'arn:aws:s3:::b/home//x'),
    ]).toEqual(['Allow', 'ImplicitDeny', 'ImplicitDeny']);
  });

  it('refuses a statement with both or neither of Action and NotAction, naming the policy', () => {
    const broken = role({ Effect: 'Allow', Resource: '*' } as PolicyStatement);
    expect(() => decide(broken, 's3:GetObject', '*')).toThrow(
      new IamPolicyError('FnRolePolicy0 statement 0: needs exactly one of Action and NotAction'),
    );
  });
});

describe('evaluate: resource-based policies (same account)', () => {
  const bucketPolicy = (statement: PolicyStatement): NamedPolicy => ({
    name: 'BucketPolicy',
    document: { Statement: [statement] },
  });

  it('allows a role the resource policy names even without an identity policy', () => {
    const result = evaluate({
      caller: role(),
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::b/k',
      resourcePolicies: [
        bucketPolicy({ ...allow('s3:GetObject', 'arn:aws:s3:::b/*'), Principal: { AWS: ROLE_ARN } }),
      ],
    });
    expect(result.decision).toBe('Allow');
  });

  it('does not allow by a grant to the account root alone: IAM must allow too', () => {
    const result = evaluate({
      caller: role(),
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::b/k',
      resourcePolicies: [
        bucketPolicy({
          ...allow('s3:GetObject', 'arn:aws:s3:::b/*'),
          Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` },
        }),
      ],
    });
    expect(result.decision).toBe('ImplicitDeny');
  });

  it('lets a resource-policy Deny win over an identity Allow', () => {
    const result = evaluate({
      caller: role(allow('s3:*')),
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::b/k',
      context: { 'aws:SecureTransport': 'false' },
      resourcePolicies: [
        bucketPolicy({
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: 'arn:aws:s3:::b/*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ],
    });
    expect(result).toMatchObject({ decision: 'ExplicitDeny', deniedBy: 'resource-based' });
  });

  it('lets a service principal in only through the resource policy, with its conditions', () => {
    const permission: NamedPolicy = {
      name: 'FnUploadPermission',
      document: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'lambda:InvokeFunction',
            Resource: 'arn:aws:lambda:eu-west-1:1:function:fn',
            Condition: { StringEquals: { 'AWS:SourceAccount': '1' } },
          },
        ],
      },
    };
    const invoke = (service: string, sourceAccount: string) =>
      evaluate({
        caller: { kind: 'service', service },
        action: 'lambda:InvokeFunction',
        resource: 'arn:aws:lambda:eu-west-1:1:function:fn',
        context: { 'aws:SourceAccount': sourceAccount },
        resourcePolicies: [permission],
      });
    expect([invoke('s3.amazonaws.com', '1').decision, invoke('s3.amazonaws.com', '2').decision]).toEqual([
      'Allow',
      'ImplicitDeny',
    ]);
    expect(invoke('sns.amazonaws.com', '1')).toMatchObject({
      decision: 'ImplicitDeny',
      deniedBy: 'resource-based',
    });
  });
});

describe('condition operators', () => {
  const match = (operator: string, block: Record<string, unknown>, context: RequestContext) =>
    operatorMatches(operator, block, context);

  it.each([
    ['StringEquals', { 'aws:SourceAccount': '1' }, { 'aws:sourceaccount': '1' }, true],
    ['StringEquals', { 'aws:SourceAccount': ['2', '1'] }, { 'aws:SourceAccount': '1' }, true],
    ['StringEquals', { 'aws:SourceAccount': 'A' }, { 'aws:SourceAccount': 'a' }, false],
    ['StringEquals', { 'aws:SourceAccount': '1' }, {}, false],
    ['StringNotEquals', { 's3:prefix': 'a' }, { 's3:prefix': 'b' }, true],
    ['StringNotEquals', { 's3:prefix': ['a', 'b'] }, { 's3:prefix': 'b' }, false],
    ['StringNotEquals', { 's3:prefix': 'a' }, {}, true],
    ['StringEqualsIgnoreCase', { 'aws:username': 'ANA' }, { 'aws:username': 'ana' }, true],
    ['StringNotEqualsIgnoreCase', { 'aws:username': 'ANA' }, { 'aws:username': 'ana' }, false],
    ['StringLike', { 's3:prefix': 'home/*' }, { 's3:prefix': 'home/ana/x' }, true],
    ['StringLike', { 's3:prefix': 'home/?' }, { 's3:prefix': 'home/ab' }, false],
    ['StringNotLike', { 's3:prefix': 'home/*' }, { 's3:prefix': 'tmp/x' }, true],
    ['StringEqualsIfExists', { 's3:prefix': 'a' }, {}, true],
    ['StringEqualsIfExists', { 's3:prefix': 'a' }, { 's3:prefix': 'b' }, false],
    ['NumericLessThan', { 's3:max-keys': '10' }, { 's3:max-keys': '9' }, true],
    ['NumericLessThanEquals', { 's3:max-keys': '10' }, { 's3:max-keys': '10' }, true],
    ['NumericGreaterThan', { 's3:max-keys': '10' }, { 's3:max-keys': '10' }, false],
    ['NumericGreaterThanEquals', { 's3:max-keys': '10' }, { 's3:max-keys': 'ten' }, false],
    ['NumericEquals', { 's3:max-keys': '10' }, { 's3:max-keys': '10.0' }, true],
    ['NumericNotEquals', { 's3:max-keys': '10' }, { 's3:max-keys': '11' }, true],
    [
      'DateLessThan',
      { 'aws:CurrentTime': '2026-12-31T00:00:00Z' },
      { 'aws:CurrentTime': '2026-12-06T11:00:00Z' },
      true,
    ],
    ['DateGreaterThan', { 'aws:EpochTime': '1700000000' }, { 'aws:EpochTime': '1600000000' }, false],
    ['DateEquals', { 'aws:CurrentTime': '2026-01-01T00:00:00Z' }, { 'aws:CurrentTime': '1767225600' }, true],
    ['Bool', { 'aws:SecureTransport': 'false' }, { 'aws:SecureTransport': 'FALSE' }, true],
    ['Bool', { 'aws:SecureTransport': 'false' }, { 'aws:SecureTransport': true }, false],
    ['Null', { 'aws:TokenIssueTime': 'true' }, {}, true],
    ['Null', { 'aws:TokenIssueTime': 'false' }, {}, false],
    ['IpAddress', { 'aws:SourceIp': '10.0.0.0/8' }, { 'aws:SourceIp': '10.1.2.3' }, true],
    ['IpAddress', { 'aws:SourceIp': '2001:db8::/32' }, { 'aws:SourceIp': '2001:db8::1' }, true],
    ['NotIpAddress', { 'aws:SourceIp': '10.0.0.0/8' }, { 'aws:SourceIp': '192.168.0.1' }, true],
    [
      'ArnLike',
      { 'aws:SourceArn': 'arn:aws:events:*:1:rule/bus/*' },
      { 'aws:SourceArn': 'arn:aws:events:eu-west-1:1:rule/bus/r' },
      true,
    ],
    ['ArnEquals', { 'aws:SourceArn': 'arn:aws:s3:::b' }, { 'aws:SourceArn': 'arn:aws:s3:::c' }, false],
    ['ArnNotLike', { 'aws:SourceArn': 'arn:aws:s3:::b*' }, { 'aws:SourceArn': 'arn:aws:s3:::c' }, true],
    ['ArnNotEquals', { 'aws:SourceArn': 'arn:aws:s3:::b' }, { 'aws:SourceArn': 'arn:aws:s3:::b' }, false],
    ['ForAnyValue:StringEquals', { 'aws:TagKeys': ['a', 'b'] }, { 'aws:TagKeys': ['c', 'b'] }, true],
    ['ForAnyValue:StringEquals', { 'aws:TagKeys': ['a'] }, {}, false],
    ['ForAllValues:StringEquals', { 'aws:TagKeys': ['a', 'b'] }, { 'aws:TagKeys': ['a', 'c'] }, false],
    ['ForAllValues:StringEquals', { 'aws:TagKeys': ['a', 'b'] }, { 'aws:TagKeys': ['b', 'a'] }, true],
    ['ForAllValues:StringEquals', { 'aws:TagKeys': ['a'] }, {}, true],
    [
      'StringEquals',
      { 's3:prefix': 'home/${aws:username}/' },
      { 's3:prefix': 'home/ana/', 'aws:username': 'ana' },
      true,
    ],
  ] as Array<[string, Record<string, unknown>, RequestContext, boolean]>)(
    '%s %j against %j is %s',
    (operator, block, context, expected) => {
      expect(match(operator, block, context)).toBe(expected);
    },
  );

  it('ANDs the keys of one operator and the operators of one Condition', () => {
    const caller = role(
      allow('s3:ListBucket', 'arn:aws:s3:::b', {
        Condition: { StringLike: { 's3:prefix': 'home/*' }, Bool: { 'aws:SecureTransport': 'true' } },
      }),
    );
    expect([
      decide(caller, 's3:ListBucket', 'arn:aws:s3:::b', {
        's3:prefix': 'home/a',
        'aws:SecureTransport': 'true',
      }),
      decide(caller, 's3:ListBucket', 'arn:aws:s3:::b', {
        's3:prefix': 'home/a',
        'aws:SecureTransport': 'false',
      }),
    ]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('refuses an operator IAM does not have, naming it', () => {
    expect(() => match('StringSortOf', { a: 'b' }, {})).toThrow(
      'condition operator StringSortOf is not supported',
    );
  });
});
