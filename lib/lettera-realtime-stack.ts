import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FunctionName } from '../lambdas/system/topology';
import type { ApiGatewayAccountLogging } from './constructs/api-gateway-account';
import type { ChatFunction } from './constructs/chat-function';
import type { ChatHttpApi } from './constructs/http-api';
import type { JwtVerification } from './constructs/jwt-secret';
import type { Monitoring } from './constructs/monitoring';
import type { RealtimeApi } from './constructs/realtime-api';
import type { StreamFanOut } from './constructs/stream-fan-out';
import type { ChatTables } from './constructs/tables';
import { LetteraRealtime, type LetteraRealtimeProps } from './lettera-realtime';

export interface LetteraRealtimeStackProps extends StackProps, LetteraRealtimeProps {}

/**
 * This repository's deployment: one `LetteraRealtime` and the stack
 * outputs. The construct's id is `Default`, which CDK leaves out of logical
 * ids, so every resource keeps the logical id it had when the stack defined
 * them itself (no replacement on upgrade).
 */
export class LetteraRealtimeStack extends Stack {
  public readonly lettera: LetteraRealtime;
  // The construct's parts, as the stack exposed them before it moved into the construct.
  public readonly functions: Readonly<Record<FunctionName, ChatFunction>>;
  public readonly tables: ChatTables;
  public readonly realtime: RealtimeApi;
  public readonly httpApi: ChatHttpApi;
  public readonly fanOut: StreamFanOut;
  public readonly jwt: JwtVerification;
  public readonly monitoring: Monitoring;
  public readonly apiGatewayAccount?: ApiGatewayAccountLogging;

  constructor(scope: Construct, id: string, props: LetteraRealtimeStackProps) {
    super(scope, id, props);
    this.lettera = new LetteraRealtime(this, 'Default', props);
    ({
      functions: this.functions,
      tables: this.tables,
      realtime: this.realtime,
      httpApi: this.httpApi,
      fanOut: this.fanOut,
      jwt: this.jwt,
      monitoring: this.monitoring,
    } = this.lettera);
    if (this.lettera.apiGatewayAccount !== undefined) this.apiGatewayAccount = this.lettera.apiGatewayAccount;

    new CfnOutput(this, 'WebSocketUrl', { value: this.lettera.webSocketUrl, description: 'wss:// URL clients connect to' });
    new CfnOutput(this, 'HttpApiUrl', { value: this.lettera.httpApiUrl, description: 'Base URL of the chats/messages HTTP API and of POST /publish' });
    if (this.jwt.secretId) {
      new CfnOutput(this, 'JwtSecretId', { value: this.jwt.secretId, description: 'Secrets Manager secret holding the HS256 token secret' });
    }
    new CfnOutput(this, 'OnFailureQueueUrl', { value: this.fanOut.onFailureQueue.queueUrl, description: 'Stream records the fan-out gave up on' });
  }
}
