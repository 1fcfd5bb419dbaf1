/**
 * SHA-256 and HMAC-SHA-256 in the shape @smithy/signature-v4 takes (what
 * @smithy/hash-node does), over node:crypto: for requests signed without an
 * SDK client.
 */
import { createHash, createHmac } from 'node:crypto';
import type { SourceData } from '@smithy/types';

function bytesOf(data: SourceData): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/**
 * @example
 * const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: Sha256 });
 */
export class Sha256 {
  readonly #hash;

  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }

  update(data: SourceData): void {
    this.#hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }
}
