import { Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

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

/**
 * A policy Resource as cdk-nag writes it in an IAM5 finding's id: strings as
 * they are (`${` → `<`, `}` → `>`), Fn::Join joined, Fn::Sub and
 * Fn::ImportValue unwrapped, Ref → `<id>`, Fn::GetAtt → `<id.attr>`. cdk-nag
 * keeps this function internal, so it is written here; a test compares the
 * two on every shape, so an upgrade that changes cdk-nag's format fails there.
 */
export function flattenCfnReference(reference: unknown): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (node !== null && typeof node === 'object') {
      const fn = node as Record<string, unknown>;
      if (Array.isArray(fn['Fn::Join'])) {
        const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
        return items.map(visit).join(delimiter);
      }
      if ('Fn::Sub' in fn) return visit(fn['Fn::Sub']);
      if (Array.isArray(fn['Fn::GetAtt'])) {
        const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
        return `<${visit(resource)}.${visit(attribute)}>`;
      }
      if ('Fn::ImportValue' in fn) return visit(fn['Fn::ImportValue']);
      if ('Ref' in fn) return `<${visit(fn.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return visit(reference);
}
