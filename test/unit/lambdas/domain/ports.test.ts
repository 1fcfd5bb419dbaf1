/**
 * ports.ts is interfaces plus one constant. The interfaces are checked by
 * tsc where they are implemented; this pins the constant's reasoning.
 */
import { describe, expect, it } from 'vitest';
import { CONNECT_GRACE_MS } from '../../../../lambdas/domain/ports';

/** API Gateway's maximum integration timeout, which bounds how long $connect can run. */
const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 29_000;

describe('Constant: CONNECT_GRACE_MS', () => {
  it('outlasts the longest $connect API Gateway allows, so a 410 during the handshake never removes a connection about to be live', () => {
    // Assess
    expect(CONNECT_GRACE_MS).toBeGreaterThan(API_GATEWAY_INTEGRATION_TIMEOUT_MS);
  });

  it('stays well under the 10-minute idle timeout, so a truly gone connection is still cleaned up promptly', () => {
    // Assess
    expect(CONNECT_GRACE_MS).toBeLessThanOrEqual(60_000);
  });
});
