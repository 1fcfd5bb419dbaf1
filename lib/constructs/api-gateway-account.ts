import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The AWS managed policy API Gateway's logging role needs (logs:CreateLogGroup, PutLogEvents, ...). */
export const PUSH_TO_CLOUDWATCH_LOGS_POLICY = 'service-role/AmazonAPIGatewayPushToCloudWatchLogs';

export interface ApiGatewayAccountLoggingProps {
  /**
   * What happens to the role and the account setting when they leave the
   * stack. Deleting the `AWS::ApiGateway::Account` resource does not unset
   * the setting: API Gateway keeps using the role for every API of the
   * region, so by default the role stays too (and a failed first create
   * removes both).
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * API Gateway's account-level CloudWatch Logs role: an IAM role that
 * `apigateway.amazonaws.com` assumes, with the managed policy
 * AmazonAPIGatewayPushToCloudWatchLogs, set as the account's
 * `cloudWatchRoleArn`. A WebSocket stage with access logging cannot be
 * created in a region where it is unset ("CloudWatch Logs role ARN must be
 * set in account settings to enable logging"); HTTP APIs do not need it.
 *
 * There is one such setting per account and region: the last stack to set it
 * wins, so create this in at most one stack per region.
 *
 * Not `RestApi`'s `cloudWatchRole` option: that sets the same thing as a side
 * effect of a REST API (this app has none), and CDK's recommended flag
 * `@aws-cdk/aws-apigateway:disableCloudWatchRole` turns it off by default
 * because every API doing so overwrites the others' setting.
 *
 * @example
 * const logging = new ApiGatewayAccountLogging(this, 'ApiGatewayAccount');
 * stage.node.addDependency(logging);
 */
export class ApiGatewayAccountLogging extends Construct {
  public readonly role: Role;
  public readonly account: CfnAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayAccountLoggingProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    this.role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway account-level role: writes API logs of this account and region to CloudWatch Logs',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName(PUSH_TO_CLOUDWATCH_LOGS_POLICY)],
    });
    this.role.applyRemovalPolicy(removalPolicy);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${PUSH_TO_CLOUDWATCH_LOGS_POLICY}]`,
      reason:
        'API Gateway documents this AWS managed policy for its account-level logging role; the role is assumable by apigateway.amazonaws.com only and serves every API of the region.',
    });

    this.account = new CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    this.account.applyRemovalPolicy(removalPolicy);
  }
}
