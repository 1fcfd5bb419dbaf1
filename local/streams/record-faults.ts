/**
 * Injected stream-record failures (tests and demos): the local stand-in for a
 * function that crashes on one record, so the retry, bisect and discard path
 * (the on-failure queue in AWS) can be exercised end to end.
 */
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { LambdaHandler } from '../lambda';

/** Raised by a stream invocation whose batch holds a record chosen to fail. */
export class InjectedRecordFault extends Error {
  readonly code = 'INJECTED_RECORD_FAULT';

  constructor(functionName: string, eventId: string | undefined) {
    super(`${functionName}: injected failure on stream record ${eventId ?? '(no id)'}`);
    this.name = 'InjectedRecordFault';
  }
}

/**
 * Wraps a stream function's handler: an invocation whose batch holds a record
 * `failRecord` picks throws before the handler runs (nothing of the batch is
 * processed, as after a crash); other invocations go through unchanged.
 */
export function withRecordFaults<Name extends string>(
  handler: LambdaHandler,
  functionName: Name,
  failRecord: ((functionName: Name, record: DynamoDBRecord) => boolean) | undefined,
): LambdaHandler {
  if (failRecord === undefined) return handler;
  return (event: DynamoDBStreamEvent, context, callback) => {
    const poisoned = (event.Records ?? []).find((record) => failRecord(functionName, record));
    if (poisoned !== undefined) throw new InjectedRecordFault(functionName, poisoned.eventID);
    return handler(event, context, callback);
  };
}
