/**
 * A team's own CDK app with lettera-realtime inside it: the `LetteraRealtime`
 * construct next to one of the team's functions, which publishes through it.
 * Run it like this repository's app: `npx cdk synth --app "npx tsx examples/cdk-app/app.ts"`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { LetteraRealtime } from 'lettera-realtime/cdk';

const here = dirname(fileURLToPath(import.meta.url));

export interface ShopStackProps extends StackProps {
  /** The shop's web origin. */
  readonly frontendUrl: string;
}

/** The team's stack: its own function and lettera-realtime, wired with a grant and an env var. */
export class ShopStack extends Stack {
  public readonly realtime: LetteraRealtime;
  public readonly orderShipped: NodejsFunction;

  constructor(scope: Construct, id: string, props: ShopStackProps) {
    super(scope, id, props);

    this.realtime = new LetteraRealtime(this, 'Realtime', {
      frontendUrl: props.frontendUrl,
      // This account's API Gateway logging role is managed by another stack.
      apiGatewayAccountRole: false,
    });

    this.orderShipped = new NodejsFunction(this, 'OrderShipped', {
      entry: join(here, 'functions', 'order-shipped.ts'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      environment: { LETTERA_HTTP_API_URL: this.realtime.httpApiUrl },
    });
    // execute-api:Invoke on POST /publish, and nothing else of lettera-realtime.
    this.realtime.grantPublish(this.orderShipped);

    new CfnOutput(this, 'WebSocketUrl', { value: this.realtime.webSocketUrl });
    new CfnOutput(this, 'HttpApiUrl', { value: this.realtime.httpApiUrl });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const app = new App();
  new ShopStack(app, 'Shop', { frontendUrl: (app.node.tryGetContext('frontendUrl') as string | undefined) ?? 'https://shop.example.com' });
}
