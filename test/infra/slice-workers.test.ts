import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LetteraRealtimeStack } from '../../lib/lettera-realtime-stack';
import { functions, sliceWorkers, type FunctionName } from '../../lambdas/system/topology';
import { actionsOf, CDK_JSON_CONTEXT, FRONTEND_URL, logicalIdOf, resourcesOfType, statementsOfRole, synthesize, type PolicyStatement } from './helpers';

const { stack, template } = synthesize();
const functionNames = Object.keys(functions) as FunctionName[];
const workerId = logicalIdOf(stack, stack.functions[sliceWorkers.function]);

function propsOf(name: FunctionName): Record<string, unknown> {
  return resourcesOfType(template, 'AWS::Lambda::Function')[logicalIdOf(stack, stack.functions[name])]!.Properties!;
}

function statementsOf(name: FunctionName): PolicyStatement[] {
  return statementsOfRole(template, logicalIdOf(stack, stack.functions[name].role));
}

const invokeStatements = (name: FunctionName) => statementsOf(name).filter((statement) => actionsOf(statement).some((action) => action.startsWith('lambda:')));

describe('Construct: LetteraRealtime slice workers', () => {
  it('creates the slice poster with the fan-out\'s memory and its declared timeout', () => {
    // WHEN
    const props = propsOf(sliceWorkers.function);
    // THEN
    expect(props.MemorySize).toBe(propsOf(sliceWorkers.invokedBy).MemorySize);
    expect(props.Timeout).toBe(sliceWorkers.timeoutSeconds);
    // The fan-out outlives a slice and its retries' first attempt at least.
    expect(propsOf(sliceWorkers.invokedBy).Timeout as number).toBeGreaterThan(sliceWorkers.timeoutSeconds);
  });

  it('tells the fan-out the slice poster\'s name', () => {
    // WHEN
    const variables = (propsOf(sliceWorkers.invokedBy).Environment as { Variables: Record<string, unknown> }).Variables;
    // THEN
    expect(variables[sliceWorkers.functionNameEnv]).toEqual({ Ref: workerId });
  });

  it('lets the fan-out invoke the slice poster, and that function alone (no versions, no aliases)', () => {
    // WHEN
    const statements = invokeStatements(sliceWorkers.invokedBy);
    // THEN
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0]!)).toEqual(['lambda:InvokeFunction']);
    expect(statements[0]!.Resource).toEqual({ 'Fn::GetAtt': [workerId, 'Arn'] });
  });

  it.each(functionNames.filter((name) => name !== sliceWorkers.invokedBy))('lets %s invoke no function', (name) => {
    // THEN
    expect(invokeStatements(name)).toEqual([]);
  });

  it('grants slice posting to another principal with the same single statement', () => {
    // GIVEN
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const other = new LetteraRealtimeStack(app, 'Other', { frontendUrl: FRONTEND_URL });
    // WHEN
    other.lettera.grantSlicePosting(other.functions.heartbeat);
    // THEN
    const otherTemplate = Template.fromStack(other);
    const statements = statementsOfRole(otherTemplate, logicalIdOf(other, other.functions.heartbeat.role)).filter((statement) =>
      actionsOf(statement).includes('lambda:InvokeFunction'),
    );
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [logicalIdOf(other, other.functions.slicePoster), 'Arn'] } },
    ]);
  });
});
