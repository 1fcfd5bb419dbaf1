import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { traceClient } from './tracing';

/**
 * How many PostToConnection calls may be in flight at once. The SDK's
 * default agent allows 50 sockets, which would cap the fan-out; the agent
 * below is sized to match.
 */
export const POST_CONCURRENCY = 128;

/** Creates the DynamoDB document client (one per process; pass it in), traced when tracing is on. */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(traceClient(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Creates the @connections client for a stage's callback URL, with
 * keep-alive and enough sockets for POST_CONCURRENCY posts in flight.
 * http:// endpoints (the local emulator) get a plain HTTP agent. Traced
 * when tracing is on.
 */
export function createManagementClient(endpoint: string): ApiGatewayManagementApiClient {
  const agentOptions = { keepAlive: true, maxSockets: POST_CONCURRENCY };
  const client = new ApiGatewayManagementApiClient({
    endpoint,
    // The broadcaster retries throttling and transient faults itself, with
    // jitter and a per-attempt timeout; SDK retries on top would multiply
    // attempts (3 × 3 posts per throttled recipient).
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpsAgent: new Agent(agentOptions),
      httpAgent: new HttpAgent(agentOptions),
      connectionTimeout: 3_000,
      requestTimeout: 5_000,
    }),
  });
  return traceClient(client);
}
