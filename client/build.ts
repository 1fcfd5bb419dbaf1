/**
 * Builds the lettera-realtime-client package into client/dist: one minified
 * ESM file for browsers and Node.js (`index.js`, no Node.js built-ins in it)
 * and its type declarations (`index.d.ts`, with the contract module's types
 * under `protocol/`), so the package needs nothing outside itself.
 * `npm pack` and installs from a checkout run it (`prepare`); so does
 * `npm run build:client` at the repository root. The bench imports
 * {@link buildClient} to report the size.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const clientDir = dirname(fileURLToPath(import.meta.url));

/** Where the package's files are written. */
export const CLIENT_DIST = join(clientDir, 'dist');
/** The bundle: the package's entry point. */
export const CLIENT_BUNDLE = join(CLIENT_DIST, 'index.js');
/**
 * The package's modules besides the core: subpath exports
 * (`lettera-realtime-client/presence`, `…/calls`), each bundled on its own,
 * so an app that does not import one does not download it. They take the
 * socket as an argument and import no code of the core.
 */
export const CLIENT_SUBPATHS = ['presence', 'calls'] as const;
export type ClientSubpath = (typeof CLIENT_SUBPATHS)[number];

/** Size of the built bundle, raw and gzipped (level 9), in bytes. */
export interface BundleSize {
  bytes: number;
  gzipBytes: number;
}

/**
 * Bundles client/src/index.ts (or a subpath module) for browsers and returns its size.
 *
 * @example
 * const { bytes, gzipBytes } = await buildClient();
 * console.log(`client: ${(gzipBytes / 1024).toFixed(1)} KiB gzipped`);
 */
export async function buildClient(outfile: string = CLIENT_BUNDLE, entry: 'index' | ClientSubpath = 'index'): Promise<BundleSize> {
  await build({
    entryPoints: [join(clientDir, 'src', `${entry}.ts`)],
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
 * Emits the type declarations into `outDir` as the package ships them:
 * `index.d.ts` and one file per client module next to it, the contract
 * module's declarations in `protocol/`.
 *
 * tsc has to see client/src and protocol/ under one root (the repository),
 * so it writes into a scratch directory; the files are then moved into the
 * package's layout and their relative imports rewritten to explicit `.js`
 * paths, which resolve under every `moduleResolution` (bundler, node16,
 * nodenext) of the app that installs the package.
 *
 * @example
 * buildClientTypes(); // client/dist/index.d.ts, client/dist/protocol/index.d.ts, ...
 */
export function buildClientTypes(outDir: string = CLIENT_DIST): void {
  const scratch = mkdtempSync(join(tmpdir(), 'lettera-client-types-'));
  try {
    // typescript's package.json exports no bin path: find the package, then its bin.
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [tsc, '-p', join(clientDir, 'tsconfig.build.json'), '--rootDir', join(clientDir, '..'), '--outDir', scratch],
      { stdio: 'inherit' },
    );
    const moves: [from: string, to: string][] = [
      [join(scratch, 'client', 'src'), outDir],
      [join(scratch, 'protocol'), join(outDir, 'protocol')],
    ];
    // Where each emitted file lands, so an import between them can be re-pointed.
    const landing = new Map<string, string>();
    for (const [from, to] of moves) for (const file of declarationFiles(from)) landing.set(file, join(to, relative(from, file)));
    for (const [from, to] of landing) {
      const text = readFileSync(from, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\2/g, (_m, lead: string, quote: string, spec: string) => {
        const target = landing.get(declarationOf(resolve(dirname(from), spec)));
        if (!target) throw new Error(`${relative(scratch, from)} imports ${spec}, which is not part of the package`);
        let path = relative(dirname(to), target).replace(/\\/g, '/').replace(/\.d\.ts$/, '.js');
        if (!path.startsWith('.')) path = `./${path}`;
        return `${lead}${quote}${path}${quote}`;
      });
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, text);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function declarationFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarationFiles(path);
    return name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The declaration file an extensionless import names: `./x` → `./x.d.ts`, `./dir` → `./dir/index.d.ts`. */
function declarationOf(spec: string): string {
  const bare = spec.replace(/\.js$/, '');
  return existsSync(`${bare}.d.ts`) ? `${bare}.d.ts` : join(bare, 'index.d.ts');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  rmSync(CLIENT_DIST, { recursive: true, force: true });
  const { bytes, gzipBytes } = await buildClient();
  for (const subpath of CLIENT_SUBPATHS) {
    const outfile = join(CLIENT_DIST, `${subpath}.js`);
    const size = await buildClient(outfile, subpath);
    console.log(`${relative(process.cwd(), outfile)}: ${size.bytes} bytes, ${size.gzipBytes} bytes gzipped`);
  }
  buildClientTypes();
  console.log(`${relative(process.cwd(), CLIENT_BUNDLE) || CLIENT_BUNDLE}: ${bytes} bytes, ${gzipBytes} bytes gzipped`);
}
