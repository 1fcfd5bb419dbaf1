/**
 * Where a stream poller remembers the last sequence number it finished per
 * shard, so a restart resumes instead of replaying (CoorpAcademy #178).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CheckpointStore {
  get(key: string): string | undefined;
  set(key: string, sequenceNumber: string): void;
}

/** Checkpoints that live as long as the process (in-memory DynamoDB Local). */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #map = new Map<string, string>();
  get(key: string): string | undefined {
    return this.#map.get(key);
  }
  set(key: string, sequenceNumber: string): void {
    this.#map.set(key, sequenceNumber);
  }
}

/**
 * Checkpoints kept in a JSON file next to a persisted database (`--data DIR`).
 *
 * @example
 * const checkpoints = new FileCheckpointStore('.local-data/stream-checkpoints.json');
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly #path: string;
  readonly #map: Map<string, string>;

  constructor(path: string) {
    this.#path = path;
    this.#map = new Map(existsSync(path) ? Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : []);
  }

  get(key: string): string | undefined {
    return this.#map.get(key);
  }

  set(key: string, sequenceNumber: string): void {
    this.#map.set(key, sequenceNumber);
    mkdirSync(dirname(this.#path), { recursive: true });
    writeFileSync(this.#path, JSON.stringify(Object.fromEntries(this.#map), null, 2));
  }
}
