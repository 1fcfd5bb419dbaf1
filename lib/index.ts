/**
 * `lettera-realtime/cdk`: the construct for a team's own CDK app, its props,
 * and the parts it exposes.
 *
 * @example
 * import { LetteraRealtime } from 'lettera-realtime/cdk';
 * const realtime = new LetteraRealtime(this, 'Realtime', { frontendUrl: 'https://app.example.com' });
 */
export { LetteraRealtime, type LetteraRealtimeProps } from './lettera-realtime';
export { LetteraRealtimeStack, type LetteraRealtimeStackProps } from './lettera-realtime-stack';
export type { MonitoringThresholds } from './constructs/monitoring';
export type { FunctionName } from '../lambdas/system/topology';
