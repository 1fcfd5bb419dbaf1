import { describe, expect, it, vi } from 'vitest';
import { functions, type FunctionName } from '../../../lambdas/system/topology';
import { handlerModulesPresent, loadHandlers, REPO_ROOT } from '../../../local/handlers';

const names = Object.keys(functions) as FunctionName[];

describe('Function: handlerModulesPresent', () => {
  it('is true for the modules of this repository', () => {
    // Act + Assess
    expect(handlerModulesPresent()).toBe(true);
    expect(REPO_ROOT.endsWith('/')).toBe(true);
  });
});

describe('Function: loadHandlers', () => {
  it('uses the overrides instead of importing the modules', async () => {
    // Prepare
    const overrides = Object.fromEntries(names.map((name) => [name, vi.fn(async () => name)]));

    // Act
    const handlers = await loadHandlers(overrides);

    // Assess
    expect(Object.keys(handlers).sort()).toEqual([...names].sort());
    for (const name of names) expect(handlers[name]).toBe(overrides[name]);
  });

  it('imports each handler module and returns its exported handler function', async () => {
    // Prepare: fakes for all but the heartbeat module, whose import has no side effects beyond clients.
    const overrides = Object.fromEntries(names.filter((name) => name !== 'heartbeat').map((name) => [name, vi.fn()]));

    // Act
    const handlers = await loadHandlers(overrides);

    // Assess
    const { handler } = await import('../../../lambdas/handlers/heartbeat');
    expect(handlers.heartbeat).toBe(handler);
  });
});
