import type { Context, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { InjectedRecordFault, withRecordFaults } from '../../../../local/streams/record-faults';

const record = (eventID: string, content: string): DynamoDBRecord => ({ eventID, dynamodb: { NewImage: { content: { S: content } } } });
const isPoison = (_fn: string, r: DynamoDBRecord): boolean => r.dynamodb?.NewImage?.content?.S === 'poison';
const context = {} as Context;

describe('Function: withRecordFaults', () => {
  it('fails an invocation whose batch holds a chosen record, before the handler sees any of it', () => {
    // Prepare
    const handler = vi.fn();
    const wrapped = withRecordFaults(handler, 'fanOut', isPoison);

    // Act
    const act = () => wrapped({ Records: [record('1', 'fine'), record('2', 'poison')] }, context);

    // Assess
    expect(act).toThrow(InjectedRecordFault);
    expect(act).toThrow('fanOut: injected failure on stream record 2');
    expect(handler).not.toHaveBeenCalled();
  });

  it('passes other batches to the handler unchanged, with its result', () => {
    // Prepare
    const handler = vi.fn().mockReturnValue({ batchItemFailures: [] });
    const wrapped = withRecordFaults(handler, 'fanOut', isPoison);
    const event = { Records: [record('1', 'fine')] };

    // Act
    const result = wrapped(event, context);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledWith(event, context, undefined);
  });

  it('returns the handler itself when no fault is configured', () => {
    // Prepare
    const handler = vi.fn();

    // Act
    const wrapped = withRecordFaults(handler, 'fanOut', undefined);

    // Assess
    expect(wrapped).toBe(handler);
  });
});
