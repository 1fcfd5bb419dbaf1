/**
 * Demo data for `npm start`: users alice, bob and carol, and one chat where
 * alice and bob talk and carol is the outsider (until someone adds her).
 * Rows follow the fixed data model (Memberships); writing them is idempotent,
 * so a persisted `--data` directory keeps its history.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** Users who have tokens in the demo (there is no user table: a user is a token subject). */
export const DEMO_USERS = ['alice', 'bob', 'carol'] as const;

export const DEMO_CHAT = { chatId: 'demo', title: 'Demo chat', participants: ['alice', 'bob'] } as const;

/**
 * Writes the demo chat's membership rows unless they exist.
 *
 * @example
 * await seedDemoData(documentClient, 'Memberships');
 */
export async function seedDemoData(documentClient: DynamoDBDocumentClient, membershipsTable: string): Promise<void> {
  const addedAt = new Date().toISOString();
  await Promise.all(
    DEMO_CHAT.participants.map(async (userId) => {
      try {
        await documentClient.send(
          new PutCommand({
            TableName: membershipsTable,
            // alice made the demo chat: she owns it, the others are members (and can leave).
            Item: { chatId: DEMO_CHAT.chatId, userId, title: DEMO_CHAT.title, addedAt, addedBy: 'alice', role: userId === 'alice' ? 'owner' : 'member', addedWithChat: true },
            ConditionExpression: 'attribute_not_exists(chatId)',
          }),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }),
  );
}
