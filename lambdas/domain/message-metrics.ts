/**
 * MessagesAccepted / MessagesRefused for every path a message takes (JSON
 * frames, Socket.IO events, the HTTP API): the message service counted at
 * its boundary, without touching its logic.
 */
import { toClientError } from '../commons/errors';
import { METRIC } from '../commons/metric-names';
import { countMessageRefused, countMetric } from '../commons/metrics';
import type { MessageService } from './messages';

async function counted<R>(work: Promise<R>): Promise<R> {
  try {
    const result = await work;
    countMetric(METRIC.messagesAccepted);
    return result;
  } catch (err) {
    countMessageRefused(toClientError(err).code);
    throw err;
  }
}

/**
 * The service with send, edit and delete counted: accepted on success,
 * refused by error code (an infrastructure failure counts as INTERNAL).
 * Listing is not a message action and is not counted.
 *
 * @example
 * const messages = withMessageMetrics(createMessageService(stores));
 */
export function withMessageMetrics(service: MessageService): MessageService {
  return {
    send: (senderId, input) => counted(service.send(senderId, input)),
    edit: (userId, input) => counted(service.edit(userId, input)),
    remove: (userId, input) => counted(service.remove(userId, input)),
    list: (userId, input) => service.list(userId, input),
  };
}
