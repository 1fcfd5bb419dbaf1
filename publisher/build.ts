/**
 * Builds the lettera-realtime-publisher package into publisher/dist: one
 * ESM file for Node.js (`index.js`, @smithy/signature-v4 left as its one
 * dependency) and its type declarations. `npm pack` and installs from a
 * checkout run it (`prepare`).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const publisherDir = dirname(fileURLToPath(import.meta.url));

/** Where the package's files are written. */
export const PUBLISHER_DIST = join(publisherDir, 'dist');

/**
 * Bundles and emits the declarations.
 *
 * @example
 * await buildPublisher(); // publisher/dist/index.js, index.d.ts, sigv4.d.ts
 */
export async function buildPublisher(outDir: string = PUBLISHER_DIST): Promise<void> {
  await build({
    entryPoints: [join(publisherDir, 'src', 'index.ts')],
    outfile: join(outDir, 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    external: ['@smithy/signature-v4'],
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(publisherDir, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildPublisher();
}
