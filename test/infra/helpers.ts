import { readFileSync } from 'node:fs';
import { App, CfnElement, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { LetteraRealtimeStack, type LetteraRealtimeStackProps } from '../../lib/lettera-realtime-stack';

export const FRONTEND_URL = 'https://chat.example.com';

export interface Synthesized {
  readonly app: App;
  readonly stack: LetteraRealtimeStack;
  readonly template: Template;
}

/** cdk.json's context: the feature flags `cdk synth` runs with, so the tests see the same template. */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * Builds the stack as bin/ does (with cdk.json's feature flags), without
 * bundling the Lambdas (esbuild is slow and the template doesn't depend on
 * the bundle's content).
 */
export function synthesize(props: Partial<LetteraRealtimeStackProps> = {}): Synthesized {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new LetteraRealtimeStack(app, 'LetteraRealtime', { frontendUrl: FRONTEND_URL, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalIdOf(stack: Stack, construct: IConstruct | undefined): string {
  const child = construct?.node.defaultChild;
  if (!(child instanceof CfnElement)) {
    throw new Error(`${construct?.node.path ?? 'undefined'} has no CloudFormation resource as its default child`);
  }
  return stack.resolve(child.logicalId) as string;
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement of the policies attached to a role (by the role's logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatement[] {
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties?.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
}

export const actionsOf = (statement: PolicyStatement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Logical ids referenced anywhere in a value (Ref and Fn::GetAtt). */
export function referencedIds(value: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'Ref' && typeof child === 'string') ids.add(child);
        else if (key === 'Fn::GetAtt' && Array.isArray(child) && typeof child[0] === 'string') ids.add(child[0]);
        else visit(child);
      }
    }
  };
  visit(value);
  return ids;
}
