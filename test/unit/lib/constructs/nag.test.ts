import { describe, expect, it } from 'vitest';
// cdk-nag's own (internal) flattening: the function under test must agree with it exactly,
// or acknowledgement ids stop matching findings after a cdk-nag upgrade.
import { flattenCfnReference as cdkNagFlatten } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { flattenCfnReference } from '../../../../lib/constructs/nag';

const shapes: readonly [string, unknown][] = [
  ['a plain ARN', 'arn:aws:dynamodb:eu-west-1:123456789012:table/Rooms/index/*'],
  ['a Sub template', { 'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/prod/*/@connections/*' }],
  ['a Ref', { Ref: 'RoomsTable1234' }],
  ['a GetAtt', { 'Fn::GetAtt': ['RoomsTable1234', 'Arn'] }],
  ['an ImportValue', { 'Fn::ImportValue': 'SharedTableArn' }],
  ['a Join of a GetAtt and a suffix', { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['RoomsTable1234', 'Arn'] }, '/index/*']] }],
  ['a nested Join with a Ref', { 'Fn::Join': ['/', ['arn:aws:execute-api:eu-west-1:1:', { Ref: 'Api' }, { 'Fn::Join': ['', ['prod', '/*']] }]] }],
  ['something unknown', { 'Fn::Select': [0, ['a']] }],
  ['nothing', undefined],
];

describe('Function: flattenCfnReference', () => {
  it.each(shapes)('flattens %s exactly as cdk-nag does', (_label, reference) => {
    // Act + Assess
    expect(flattenCfnReference(reference)).toBe(cdkNagFlatten(reference));
  });

  it('writes references in angle brackets', () => {
    // Act + Assess
    expect(flattenCfnReference({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['T', 'Arn'] }, '/index/*']] })).toBe('<T.Arn>/index/*');
  });
});
