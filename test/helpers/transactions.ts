/**
 * TransactionCanceledException as DynamoDB raises it: one cancellation
 * reason per item, in request order, with the item as it was (marshalled)
 * when the item asked for ALL_OLD.
 */
import { marshall } from '@aws-sdk/util-dynamodb';

export type Reason = 'None' | 'ConditionalCheckFailed' | 'TransactionConflict' | { code: 'ConditionalCheckFailed'; item: object };

/**
 * @example
 * ddb.on(TransactWriteCommand).rejects(transactionCanceled(['ConditionalCheckFailed', 'None', 'None']));
 */
export function transactionCanceled(reasons: readonly Reason[]): Error {
  return Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons'), {
    name: 'TransactionCanceledException',
    CancellationReasons: reasons.map((reason) =>
      typeof reason === 'string' ? { Code: reason } : { Code: reason.code, Item: marshall(reason.item as Record<string, unknown>, { removeUndefinedValues: true }) },
    ),
  });
}
