import { matchesEventPattern } from '../../../local/eventbridge/match-event-pattern';

/** The EC2 example event used throughout the EventBridge and Event Ruler documentation. */
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

function withDetail(detail: Record<string, unknown>) {
  return { ...ec2Event, detail: { ...ec2Event.detail, ...detail } };
}

type Case = [string, unknown, unknown, boolean];

function expectCases(cases: Case[]) {
  test.each(cases)('%s', (_name, pattern, event, expected) => {
    // Arrange is the table row; Act
    const matched = matchesEventPattern(pattern, event);
    // Assert
    expect(matched).toBe(expected);
  });
}

describe('exact values', () => {
  expectCases([
    [
      'matches when every listed field has one of its values',
      {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
        detail: { state: ['initializing', 'running'] },
      },
      ec2Event,
      true,
    ],
    ['does not match when a value differs', { detail: { state: ['initializing'] } }, ec2Event, false],
    ['compares strings case-sensitively', { source: ['AWS.EC2'] }, ec2Event, false],
    ['does not match when the field is absent', { detail: { missing: ['x'] } }, ec2Event, false],
    ['matches numbers by value', { detail: { 'x-limit': [3.018e2] } }, ec2Event, true],
    ['does not match a number against its string form', { detail: { 'c-count': ['5'] } }, ec2Event, false],
    ['matches booleans', { detail: { flag: [true] } }, withDetail({ flag: true }), true],
    [
      'does not match a boolean against a different one',
      { detail: { flag: [true] } },
      withDetail({ flag: false }),
      false,
    ],
    [
      'matches a null value with null',
      { detail: { responseElements: [null] } },
      withDetail({ responseElements: null }),
      true,
    ],
    ['does not match an absent field with null', { detail: { responseElements: [null] } }, ec2Event, false],
    [
      'matches an empty string with an empty string',
      { detail: { eventVersion: [''] } },
      withDetail({ eventVersion: '' }),
      true,
    ],
    [
      'does not match null with an empty string',
      { detail: { eventVersion: [''] } },
      withDetail({ eventVersion: null }),
      false,
    ],
  ]);
});

describe('arrays in events', () => {
  const multiAccountEvent = {
    ...ec2Event,
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };
  expectCases([
    [
      'matches when any element of the event array is a listed value',
      {
        resources: [
          'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:999999999999:instance/x',
        ],
      },
      multiAccountEvent,
      true,
    ],
    [
      'does not match when no element of the event array is listed',
      { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] },
      multiAccountEvent,
      false,
    ],
    [
      'matches a nested pattern against any object in an array',
      { detail: { employees: { firstName: ['Anna'] } } },
      withDetail({ employees: [{ firstName: 'John' }, { firstName: 'Anna' }] }),
      true,
    ],
    [
      'requires the fields of a nested pattern to come from the same array element',
      { detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } },
      withDetail({
        employees: [
          { firstName: 'Anna', lastName: 'Smith' },
          { firstName: 'Peter', lastName: 'Jones' },
        ],
      }),
      false,
    ],
  ]);
});

describe('prefix and suffix', () => {
  expectCases([
    ['matches a value starting with the prefix', { time: [{ prefix: '2017-10-02' }] }, ec2Event, true],
    ['does not match a value without the prefix', { time: [{ prefix: '2017-10-03' }] }, ec2Event, false],
    ['applies prefix only to strings', { detail: { 'c-count': [{ prefix: '5' }] } }, ec2Event, false],
    [
      'matches a prefix in any case with equals-ignore-case',
      { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      withDetail({ service: 'eventbridge' }),
      true,
    ],
    [
      'does not match a different prefix with equals-ignore-case',
      { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      withDetail({ service: 'SQS' }),
      false,
    ],
    [
      'matches a value ending with the suffix',
      { detail: { FileName: [{ suffix: '.png' }] } },
      withDetail({ FileName: 'cat.png' }),
      true,
    ],
    [
      'does not match a suffix of another case',
      { detail: { FileName: [{ suffix: '.png' }] } },
      withDetail({ FileName: 'cat.PNG' }),
      false,
    ],
    [
      'matches a suffix in any case with equals-ignore-case',
      { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      withDetail({ FileName: 'cat.PNG' }),
      true,
    ],
    [
      'does not match another suffix with equals-ignore-case',
      { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      withDetail({ FileName: 'cat.jpg' }),
      false,
    ],
  ]);
});

describe('equals-ignore-case', () => {
  expectCases([
    [
      'matches a string regardless of case',
      { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
      ec2Event,
      true,
    ],
    ['does not match a different string', { source: [{ 'equals-ignore-case': 'aws.s3' }] }, ec2Event, false],
  ]);
});

describe('wildcard', () => {
  expectCases([
    [
      'matches any run of characters for each asterisk',
      { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
      withDetail({ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/photos' }),
      true,
    ],
    [
      'does not match when the fixed parts differ',
      { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
      withDetail({ EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/photos' }),
      false,
    ],
    ['matches an empty run', { source: [{ wildcard: 'aws.*ec2' }] }, ec2Event, true],
    [
      'treats an escaped asterisk literally',
      { detail: { name: [{ wildcard: 'a\\*b' }] } },
      withDetail({ name: 'a*b' }),
      true,
    ],
    [
      'does not expand an escaped asterisk',
      { detail: { name: [{ wildcard: 'a\\*b' }] } },
      withDetail({ name: 'axxb' }),
      false,
    ],
    [
      'treats regular expression characters literally',
      { detail: { name: [{ wildcard: 'a.c*' }] } },
      withDetail({ name: 'abcd' }),
      false,
    ],
  ]);
});

describe('anything-but', () => {
  expectCases([
    ['matches any other string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event, true],
    [
      'does not match the excluded string',
      { detail: { state: [{ 'anything-but': 'running' }] } },
      ec2Event,
      false,
    ],
    ['matches any other number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2Event, true],
    [
      'does not match the excluded number',
      { detail: { 'x-limit': [{ 'anything-but': 301.8 }] } },
      ec2Event,
      false,
    ],
    [
      'matches a string outside the excluded list',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      ec2Event,
      true,
    ],
    [
      'does not match a string in the excluded list',
      { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } },
      ec2Event,
      false,
    ],
    [
      'matches a number outside the excluded list',
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      ec2Event,
      true,
    ],
    [
      'does not match a number in the excluded list',
      { detail: { 'c-count': [{ 'anything-but': [4, 5] }] } },
      ec2Event,
      false,
    ],
    ['does not match an absent field', { detail: { missing: [{ 'anything-but': 'x' }] } }, ec2Event, false],
    [
      'matches a value without the excluded prefix',
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      ec2Event,
      true,
    ],
    [
      'does not match a value with the excluded prefix',
      { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } },
      ec2Event,
      false,
    ],
    [
      'does not match a value with one of the excluded prefixes',
      { detail: { state: [{ 'anything-but': { prefix: ['init', 'run'] } }] } },
      ec2Event,
      false,
    ],
    [
      'matches a value with none of the excluded suffixes',
      { detail: { FileName: [{ 'anything-but': { suffix: ['.txt', '.gif'] } }] } },
      withDetail({ FileName: 'a.png' }),
      true,
    ],
    [
      'matches a value without the excluded suffix',
      { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
      withDetail({ FileName: 'a.png' }),
      true,
    ],
    [
      'does not match a value with the excluded suffix',
      { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
      withDetail({ FileName: 'a.txt' }),
      false,
    ],
    [
      'matches a value outside the excluded list in any case',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } },
      ec2Event,
      true,
    ],
    [
      'does not match an excluded value written in another case',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'RUNNING'] } }] } },
      ec2Event,
      false,
    ],
    [
      'matches a value outside the excluded wildcard',
      { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
      withDetail({ FilePath: '/usr/bin/x' }),
      true,
    ],
    [
      'does not match a value inside the excluded wildcard',
      { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
      withDetail({ FilePath: '/usr/lib/x' }),
      false,
    ],
  ]);
});

describe('numeric', () => {
  const documented = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };
  expectCases([
    ['matches when every range holds', documented, ec2Event, true],
    ['does not match above an inclusive upper bound', documented, withDetail({ 'c-count': 6 }), false],
    ['does not match at an exclusive lower bound', documented, withDetail({ 'c-count': 0 }), false],
    [
      'does not match at an exclusive upper bound',
      { detail: { 'd-count': [{ numeric: ['<', 3] }] } },
      ec2Event,
      false,
    ],
    [
      'matches at an inclusive lower bound',
      { detail: { 'd-count': [{ numeric: ['>=', 3] }] } },
      ec2Event,
      true,
    ],
    [
      'does not match a number given as a string',
      { detail: { 'c-count': [{ numeric: ['>', 0] }] } },
      withDetail({ 'c-count': '5' }),
      false,
    ],
  ]);
});

describe('cidr', () => {
  expectCases([
    [
      'matches an IPv4 address inside the block',
      { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
      ec2Event,
      true,
    ],
    [
      'does not match an IPv4 address outside the block',
      { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } },
      ec2Event,
      false,
    ],
    [
      'matches an IPv6 address inside the block',
      { detail: { sourceIPAddress: [{ cidr: 'bcde::/64' }] } },
      withDetail({ sourceIPAddress: 'bcde:0:0:0:1:2:3:4' }),
      true,
    ],
    [
      'does not match an IPv6 address outside the block',
      { detail: { sourceIPAddress: [{ cidr: 'bcde::/64' }] } },
      withDetail({ sourceIPAddress: 'bcdf::1' }),
      false,
    ],
    [
      'does not match a value that is not an address',
      { detail: { state: [{ cidr: '10.0.0.0/8' }] } },
      ec2Event,
      false,
    ],
  ]);
});

describe('exists', () => {
  expectCases([
    [
      'matches with true when the field is present',
      { detail: { state: [{ exists: true }] } },
      ec2Event,
      true,
    ],
    [
      'does not match with true when the field is absent',
      { detail: { missing: [{ exists: true }] } },
      ec2Event,
      false,
    ],
    [
      'matches with false when the field is absent',
      { detail: { missing: [{ exists: false }] } },
      ec2Event,
      true,
    ],
    [
      'does not match with false when the field is present',
      { detail: { state: [{ exists: false }] } },
      ec2Event,
      false,
    ],
    [
      'matches with false when the field is an object rather than a leaf',
      { detail: { 'c-count': [{ exists: false }] } },
      withDetail({ 'c-count': { c1: 100 } }),
      true,
    ],
    [
      'matches with false when a parent of the field is absent',
      { detail: { nested: { deeper: [{ exists: false }] } } },
      ec2Event,
      true,
    ],
    [
      'matches with true when the field is null',
      { detail: { v: [{ exists: true }] } },
      withDetail({ v: null }),
      true,
    ],
  ]);
});

describe('$or', () => {
  const documented = {
    detail: {
      $or: [
        { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
        { 'd-count': [{ numeric: ['<', 10] }] },
        { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
      ],
    },
  };
  expectCases([
    [
      'matches when any alternative matches',
      documented,
      withDetail({ 'c-count': 100, 'd-count': 100 }),
      true,
    ],
    [
      'does not match when no alternative matches',
      documented,
      withDetail({ 'c-count': 100, 'd-count': 100, 'x-limit': 1 }),
      false,
    ],
    [
      'combines with sibling fields using AND',
      { source: ['aws.s3'], $or: [{ region: ['us-east-1'] }, { account: ['012345679012'] }] },
      ec2Event,
      false,
    ],
    [
      'allows alternatives with several fields and nested $or',
      {
        source: ['aws.ec2'],
        $or: [
          { region: ['eu-west-1'] },
          { account: ['012345679012'], $or: [{ time: [{ prefix: '2016' }] }, { id: [{ exists: true }] }] },
        ],
      },
      ec2Event,
      true,
    ],
  ]);
});

describe('combined operators', () => {
  const complex = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
      'source-ip': [{ cidr: '10.0.0.0/8' }],
    },
  };
  expectCases([
    ['matches the documented complex example', complex, ec2Event, true],
    [
      'does not match the complex example when one field fails',
      complex,
      withDetail({ state: 'initializing' }),
      false,
    ],
    ['accepts the pattern as JSON text', JSON.stringify(complex), ec2Event, true],
    [
      'matches when any matcher in the list matches',
      { detail: { state: ['stopped', { prefix: 'run' }] } },
      ec2Event,
      true,
    ],
  ]);
});
