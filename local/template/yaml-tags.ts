import type { CollectionTag, ScalarTag, YAMLMap, YAMLSeq } from 'yaml';

/** Short-form tag name (without `!`) → long-form key. */
const FUNCTION_TAGS: Readonly<Record<string, string>> = {
  Ref: 'Ref',
  Condition: 'Condition',
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  Base64: 'Fn::Base64',
  ImportValue: 'Fn::ImportValue',
  GetAZs: 'Fn::GetAZs',
  Cidr: 'Fn::Cidr',
  Transform: 'Fn::Transform',
};

function collectionToJs(node: YAMLMap.Parsed | YAMLSeq.Parsed): unknown {
  return node.toJSON();
}

function tagsFor(shortName: string, longName: string): Array<ScalarTag | CollectionTag> {
  const tag = `!${shortName}`;
  return [
    { tag, resolve: (value: string) => ({ [longName]: value }) },
    { tag, collection: 'seq', resolve: (node) => ({ [longName]: collectionToJs(node) }) },
    { tag, collection: 'map', resolve: (node) => ({ [longName]: collectionToJs(node) }) },
  ];
}

/** `!GetAtt A.B.C` means resource `A`, attribute `B.C`; the list form is kept as written. */
function splitGetAtt(value: string): [string, string] | string {
  const dot = value.indexOf('.');
  return dot < 0 ? value : [value.slice(0, dot), value.slice(dot + 1)];
}

const getAttTags: Array<ScalarTag | CollectionTag> = [
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': splitGetAtt(value) }) },
  { tag: '!GetAtt', collection: 'seq', resolve: (node) => ({ 'Fn::GetAtt': collectionToJs(node) }) },
];

/**
 * The CloudFormation short-form tags for the `yaml` package: pass as `customTags` to
 * `parse`/`parseDocument` to get the long JSON form (`{ "Fn::GetAtt": [..] }`, `{ "Ref": .. }`, …).
 */
export const customTags: ReadonlyArray<ScalarTag | CollectionTag> = [
  ...Object.entries(FUNCTION_TAGS).flatMap(([shortName, longName]) => tagsFor(shortName, longName)),
  ...getAttTags,
];
