import { describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../../client/src/emitter';

class TestEmitter extends Emitter<{ ping: (n: number) => void; other: () => void }> {
  fire(event: 'ping' | 'other', ...args: unknown[]): void {
    this.emitLocal(event, ...args);
  }
}

describe('Class: Emitter', () => {
  it('removes a once listener through off(event, listener)', () => {
    // Prepare
    const emitter = new TestEmitter();
    const listener = vi.fn();
    emitter.once('ping', listener);

    // Act
    emitter.off('ping', listener);
    emitter.fire('ping', 1);

    // Assess
    expect(listener).not.toHaveBeenCalled();
  });

  it('removes every listener of an event, or all of them', () => {
    // Prepare
    const emitter = new TestEmitter();
    const a = vi.fn();
    const b = vi.fn();
    emitter.on('ping', a);
    emitter.on('other', b);

    // Act
    emitter.off('ping');
    emitter.fire('ping', 1);
    emitter.fire('other');
    emitter.off();
    emitter.fire('other');

    // Assess
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(1);
    expect(emitter.listeners('other')).toEqual([]);
  });

  it('keeps calling the other listeners when one throws', async () => {
    // Prepare
    const emitter = new TestEmitter();
    const after = vi.fn();
    emitter.on('ping', () => {
      throw new Error('listener bug');
    });
    emitter.on('ping', after);
    const rethrown = new Promise<unknown>((resolve) => {
      const original = globalThis.queueMicrotask;
      globalThis.queueMicrotask = (cb) => {
        globalThis.queueMicrotask = original;
        try {
          cb();
        } catch (err) {
          resolve(err);
        }
      };
    });

    // Act
    emitter.fire('ping', 7);

    // Assess
    expect(after).toHaveBeenCalledWith(7);
    await expect(rethrown).resolves.toMatchObject({ message: 'listener bug' });
  });
});
