/**
 * The team's own function: when an order ships, it tells the buyer's open
 * tabs and posts a message into the order's chat, through the publisher.
 * The role's credentials (AWS_ACCESS_KEY_ID/…/AWS_SESSION_TOKEN in the
 * Lambda environment) sign the calls; `grantPublish` allowed exactly this.
 */
import { createPublisher } from 'lettera-realtime/publisher';

/** Read once at cold start. */
const endpoint = requireEnv('LETTERA_HTTP_API_URL');
const region = requireEnv('AWS_REGION');

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is required`);
  return value;
}

// Inside Lambda the role's credentials are in the environment; outside it, pass
// `fromNodeProviderChain()` from @aws-sdk/credential-providers instead.
const realtime = createPublisher({
  endpoint,
  region,
  credentials: async () => ({
    accessKeyId: requireEnv('AWS_ACCESS_KEY_ID'),
    secretAccessKey: requireEnv('AWS_SECRET_ACCESS_KEY'),
    sessionToken: requireEnv('AWS_SESSION_TOKEN'),
  }),
});

export interface OrderShipped {
  orderId: string;
  buyerId: string;
  sellerId: string;
  /** The app's own id for the status message (its database row). */
  statusMessageId: string;
}

export const handler = async (event: OrderShipped): Promise<void> => {
  const chatId = `order-${event.orderId}`;
  await realtime.setChatParticipants(chatId, [event.buyerId, event.sellerId], { title: `Order ${event.orderId}` });
  await realtime.broadcastNewMessage({ messageId: event.statusMessageId, chatId, senderId: event.sellerId, content: 'Your order has shipped.' });
  await realtime.emitToUser(event.buyerId, 'order:shipped', { orderId: event.orderId });
};
