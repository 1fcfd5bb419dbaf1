import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'client', 'src');

describe('Package: client/src imports', () => {
  it('imports only its own modules and the contract module, so it packs on its own', () => {
    // Prepare
    const specifiers = readdirSync(src)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...readFileSync(join(src, f), 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => `${f}: ${m[1]}`),
      );

    // Act
    const foreign = specifiers.filter((s) => !/: (\.\/[\w-]+|\.\.\/\.\.\/protocol)$/.test(s));

    // Assess
    expect(specifiers.length).toBeGreaterThan(20);
    expect(foreign).toEqual([]);
  });
});
