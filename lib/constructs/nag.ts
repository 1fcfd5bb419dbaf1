import { Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
// The same flattening cdk-nag applies to a policy's Resource when it names an
// IAM5 finding, so the acknowledgement id matches exactly one finding.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for exactly one wildcard
 * resource in the grantee's policy, e.g. a table's `.../index/*`, and
 * nothing else in that policy.
 *
 * @example
 * acknowledgeWildcardResource(fn, `${table.tableArn}/index/*`, 'Queries use the byUser index');
 */
export function acknowledgeWildcardResource(grantee: IGrantable, resourceArn: string, reason: string): void {
  const principal = grantee.grantPrincipal;
  // An imported principal's policy isn't synthesized here: nothing to acknowledge.
  if (!Construct.isConstruct(principal)) return;
  const resource = flattenCfnReference(Stack.of(principal).resolve(resourceArn));
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}
