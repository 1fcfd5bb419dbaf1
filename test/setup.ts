import { expect } from 'vitest';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';

expect.extend(allCustomMatcher);

// Handlers read their environment once at import; give unit tests a complete,
// harmless one. Integration tests override these for the local runtime.
process.env.AWS_REGION ??= 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.CONNECTIONS_TABLE ??= 'Connections';
process.env.ROOMS_TABLE ??= 'Rooms';
process.env.MEMBERSHIPS_TABLE ??= 'Memberships';
process.env.MESSAGES_TABLE ??= 'Messages';
process.env.PRESENCE_TABLE ??= 'Presence';
process.env.USERS_TABLE ??= 'Users';
process.env.WS_CALLBACK_URL ??= 'https://example.execute-api.eu-west-1.amazonaws.com/test';
process.env.SLICE_POSTER_FUNCTION ??= 'SlicePoster';
// Slice invokes of the fan-out under test go nowhere (port 9, discard), never to AWS.
process.env.AWS_ENDPOINT_URL_LAMBDA ??= 'http://127.0.0.1:9';
process.env.JWT_ACCESS_SECRET ??= 'unit-test-secret-that-is-long-enough-for-hs256';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Metrics are EMF lines on stdout; tests that read them turn them on (test/unit/lambdas/commons/metrics.test.ts).
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
