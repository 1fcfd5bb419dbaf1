import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore, MemoryCheckpointStore } from '../../../../local/streams/checkpoints';

describe('Class: MemoryCheckpointStore', () => {
  it('remembers the last sequence number per key', () => {
    // Prepare
    const store = new MemoryCheckpointStore();

    // Act
    store.set('Messages/shard-1', '100');
    store.set('Messages/shard-1', '200');
    store.set('Presence/shard-1', '5');

    // Assess
    expect(store.get('Messages/shard-1')).toBe('200');
    expect(store.get('Presence/shard-1')).toBe('5');
    expect(store.get('Other')).toBeUndefined();
  });
});

describe('Class: FileCheckpointStore', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkpoints-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts empty when the file does not exist, creating its directory on the first write', () => {
    // Prepare
    const path = join(dir, 'nested', 'stream-checkpoints.json');
    const store = new FileCheckpointStore(path);

    // Act
    const before = store.get('Messages/shard-1');
    store.set('Messages/shard-1', '42');

    // Assess
    expect(before).toBeUndefined();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ 'Messages/shard-1': '42' });
  });

  it('resumes from what a previous process wrote', () => {
    // Prepare
    const path = join(dir, 'stream-checkpoints.json');
    new FileCheckpointStore(path).set('Messages/shard-1', '300');

    // Act
    const restarted = new FileCheckpointStore(path);

    // Assess
    expect(restarted.get('Messages/shard-1')).toBe('300');
  });

  it('keeps the other keys when one is updated', () => {
    // Prepare
    const path = join(dir, 'stream-checkpoints.json');
    writeFileSync(path, JSON.stringify({ a: '1', b: '2' }));
    const store = new FileCheckpointStore(path);

    // Act
    store.set('a', '10');

    // Assess
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: '10', b: '2' });
  });

  it('refuses a corrupt checkpoint file instead of silently replaying from the start', () => {
    // Prepare
    const path = join(dir, 'stream-checkpoints.json');
    writeFileSync(path, '{ not json');

    // Act + Assess
    expect(() => new FileCheckpointStore(path)).toThrow(SyntaxError);
  });
});
