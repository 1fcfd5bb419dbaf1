/**
 * Builds the browser bundle of lettera-realtime/client: one minified ESM
 * file, dist/client/index.js, with no Node.js built-ins in it.
 * `npm run build:client` runs it; the bench imports {@link buildClient} to
 * report the size.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the bundle is written. */
export const CLIENT_BUNDLE = join(root, 'dist', 'client', 'index.js');

/** Size of the built bundle, raw and gzipped (level 9), in bytes. */
export interface BundleSize {
  bytes: number;
  gzipBytes: number;
}

/**
 * Bundles client/src/index.ts for browsers and returns its size.
 *
 * @example
 * const { bytes, gzipBytes } = await buildClient();
 * console.log(`client: ${(gzipBytes / 1024).toFixed(1)} KiB gzipped`);
 */
export async function buildClient(outfile: string = CLIENT_BUNDLE): Promise<BundleSize> {
  await build({
    entryPoints: [join(root, 'client', 'src', 'index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    // platform browser makes any node: import a build error instead of a runtime one.
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return bundleSize(outfile);
}

/**
 * Size of an already built bundle.
 *
 * @example
 * const { gzipBytes } = bundleSize(CLIENT_BUNDLE);
 */
export function bundleSize(file: string = CLIENT_BUNDLE): BundleSize {
  const code = readFileSync(file);
  return { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/**
 * Emits the type declarations next to the bundle (dist/client/types), which
 * package.json's `exports["./client"].types` points at.
 *
 * @example
 * buildClientTypes();
 */
export function buildClientTypes(): void {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'client', 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { bytes, gzipBytes } = await buildClient();
  buildClientTypes();
  console.log(`dist/client/index.js: ${bytes} bytes, ${gzipBytes} bytes gzipped`);
}
