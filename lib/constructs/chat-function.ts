import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/commons/metric-names';
import type { ChatTable, TableAccess } from './tables';

/**
 * The newest Node.js runtime this aws-cdk-lib knows. cdk-nag's L1 rule
 * compares against the same list (`Runtime.ALL`), so bumping aws-cdk-lib and
 * this constant go together.
 */
export const CHAT_FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/**
 * esbuild emits ESM (`index.mjs`); a CommonJS dependency that calls
 * `require()` on a Node built-in needs a real `require` in scope.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __lettera_createRequire } from 'node:module'; const require = __lettera_createRequire(import.meta.url);";

export interface ChatFunctionProps {
  /** Handler module, absolute path (a `lambdas/handlers/*.ts` file). */
  readonly entry: string;
  /**
   * Repository root: esbuild's working directory, holding `package-lock.json`.
   * @default - the directory of the nearest lock file above `entry`
   */
  readonly projectRoot?: string;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's own log group keeps its logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * X-Ray active tracing, with Powertools Tracer segments around AWS calls.
   * Off by default: traces cost per segment and most teams turn them on to
   * investigate, not all the time.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Extra environment variables; table names are added with `bindTable`.
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/**
 * A `NodejsFunction` with this project's defaults in one place: the newest
 * Node.js runtime, arm64, X-Ray tracing when asked for, JSON logs into its own log group
 * with a retention, and an esbuild ESM bundle (minified, source maps, the AWS
 * SDK bundled so versions are pinned and tree-shaken).
 *
 * The execution role is created here rather than by Lambda so that it gets
 * no managed policy: it may write to its own log group and nothing else
 * until a `grant*`/`bind*` method adds more.
 *
 * @example
 * const fn = new ChatFunction(this, 'ConnectFunction', { entry: '/repo/lambdas/handlers/connect.ts' });
 * fn.bindTable(tables.get(connectionsTable), 'readWrite');
 */
export class ChatFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ChatFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    // Lambda writes through the configured log group only; no CreateLogGroup
    // and no account-wide logs:* as AWSLambdaBasicExecutionRole would grant.
    logGroup.grantWrite(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only actions without resource-level permissions get "*": xray:PutTraceSegments/PutTelemetryRecords (with tracing on) and, on the fan-out, dynamodb:ListStreams (stream event source). Infra tests pin this list.',
    });

    super(scope, id, {
      entry: props.entry,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.projectRoot === undefined ? undefined : join(props.projectRoot, 'package-lock.json'),
      handler: 'handler',
      runtime: CHAT_FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: props.tracing === true ? Tracing.ACTIVE : Tracing.DISABLED,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // Without active tracing there is no trace header to attach segments to.
        POWERTOOLS_TRACE_ENABLED: String(props.tracing === true),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        // Linked (not external): the sourceMappingURL comment is what lets
        // --enable-source-maps find index.mjs.map.
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        bundleAwsSDK: true,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Fixed at build time as in the environment above: without tracing,
        // the bundler drops the Tracer and the X-Ray SDK (lambdas/commons/tracing.ts).
        define: { 'process.env.POWERTOOLS_TRACE_ENABLED': JSON.stringify(String(props.tracing === true)) },
      },
    });
  }

  /**
   * Gives this function one table: its physical name in the schema's
   * environment variable, and read or read/write access (indexes included).
   *
   * @example
   * fn.bindTable(tables.get(membershipsTable), 'read'); // sets MEMBERSHIPS_TABLE
   */
  public bindTable(table: ChatTable, access: TableAccess): void {
    this.addEnvironment(table.definition.envVar, table.tableName);
    table.grant(this, access);
  }
}
