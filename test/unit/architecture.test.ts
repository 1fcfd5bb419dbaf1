/**
 * The layers of docs/architecture.md, enforced: every relative import (and
 * every `import('…')` type or dynamic import) of every source file is
 * resolved to the area it points at and checked against what its own area
 * may import. A forbidden import fails here with the file, the line and the
 * rule it breaks.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Areas, most specific first: a file belongs to the first area whose folder
 * holds it. Each area lists the areas it may import (itself always allowed).
 */
const areas: readonly { area: string; folder: string; mayImport: readonly string[] }[] = [
  // The contract: imports nothing of ours, so every side can depend on it.
  { area: 'protocol', folder: 'protocol', mayImport: [] },
  // Lambda code, bottom to top.
  { area: 'lambdas/commons', folder: 'lambdas/commons', mayImport: ['protocol'] },
  { area: 'lambdas/system', folder: 'lambdas/system', mayImport: ['lambdas/commons', 'protocol'] },
  { area: 'lambdas/socketio', folder: 'lambdas/socketio', mayImport: ['lambdas/commons', 'lambdas/system', 'protocol'] },
  {
    area: 'lambdas/domain',
    folder: 'lambdas/domain',
    mayImport: ['lambdas/commons', 'lambdas/system', 'lambdas/socketio', 'protocol'],
  },
  {
    area: 'lambdas/adapters',
    folder: 'lambdas/adapters',
    mayImport: ['lambdas/domain', 'lambdas/commons', 'lambdas/system', 'lambdas/socketio', 'protocol'],
  },
  {
    area: 'lambdas/handlers',
    folder: 'lambdas/handlers',
    mayImport: ['lambdas/adapters', 'lambdas/domain', 'lambdas/commons', 'lambdas/system', 'lambdas/socketio', 'protocol'],
  },
  // The client library is its own package: the contract and nothing else.
  { area: 'client', folder: 'client', mayImport: ['protocol'] },
  // The publisher is a backend's package: the contract and nothing else.
  { area: 'publisher', folder: 'publisher', mayImport: ['protocol'] },
  // CDK reads the system definitions and env names, never Lambda code itself (it bundles it by path).
  { area: 'lib', folder: 'lib', mayImport: ['lambdas/system', 'lambdas/commons', 'protocol'] },
  { area: 'bin', folder: 'bin', mayImport: ['lib'] },
  // The demo page: plain ES modules; the client comes over HTTP as /lettera-client.js (not a relative import).
  { area: 'web', folder: 'web', mayImport: [] },
  // The local runtime runs the very handler modules, builds the client bundle, serves the demo page
  // and checks the publisher's SigV4 signatures with the publisher's own signer.
  {
    area: 'local',
    folder: 'local',
    mayImport: ['lambdas/handlers', 'lambdas/adapters', 'lambdas/domain', 'lambdas/commons', 'lambdas/system', 'lambdas/socketio', 'protocol', 'client', 'publisher'],
  },
];

const SOURCE = /\.(ts|js|mjs)$/;
/** `from '…'`, `import '…'`, `import('…')`, `export … from '…'`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

function filesUnder(folder: string): string[] {
  const path = join(root, folder);
  const out: string[] = [];
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const child = join(path, name);
    if (statSync(child).isDirectory()) out.push(...filesUnder(relative(root, child)));
    else if (SOURCE.test(name)) out.push(relative(root, child));
  }
  return out;
}

function areaOf(file: string): string | undefined {
  const normalized = file.split(sep).join('/');
  return areas.find(({ folder }) => normalized === folder || normalized.startsWith(`${folder}/`))?.area;
}

interface Violation {
  file: string;
  line: number;
  specifier: string;
  target: string;
}

function violationsOf(file: string): Violation[] {
  const from = areaOf(file);
  const rule = areas.find(({ area }) => area === from);
  if (rule === undefined) return [];
  const allowed = new Set([rule.area, ...rule.mayImport]);
  const text = readFileSync(join(root, file), 'utf8');
  const violations: Violation[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? '';
    if (!specifier.startsWith('.')) continue;
    const target = relative(root, resolve(root, dirname(file), specifier));
    // Imports of a file at the top of the repository (none today) or inside an unlisted folder are out of scope.
    const targetArea = areaOf(target) ?? target.split(sep)[0] ?? target;
    if (!allowed.has(targetArea)) {
      const line = text.slice(0, match.index).split('\n').length;
      violations.push({ file, line, specifier, target: targetArea });
    }
  }
  return violations;
}

/**
 * Packages an area may import, where that is the point of the layer: the
 * domain decides without AWS clients (stream-record types and the pure
 * image decoder are not clients); the contract and the client depend on
 * nothing, so the client package installs without dependencies.
 */
const packageRules: readonly { area: string; folder: string; allowed: (specifier: string) => boolean; rule: string }[] = [
  { area: 'protocol', folder: 'protocol', allowed: () => false, rule: 'no package at all' },
  { area: 'client', folder: 'client/src', allowed: () => false, rule: 'no package at all in its source (its build script is a Node tool)' },
  {
    area: 'lambdas/domain',
    folder: 'lambdas/domain',
    allowed: (spec) => !spec.startsWith('@aws-sdk/') || spec === '@aws-sdk/util-dynamodb',
    rule: 'no AWS SDK code but @aws-sdk/util-dynamodb, a pure decoder (types are fine)',
  },
];

/** The code of a file without its comments (JSDoc `@example`s import things the code does not). */
function codeOf(file: string): string {
  return readFileSync(join(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .replace(/^\s*\/\/.*$/gm, '');
}

function packageViolationsOf(file: string, allowed: (specifier: string) => boolean): string[] {
  const text = codeOf(file);
  const found: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? '';
    if (specifier.startsWith('.') || specifier.startsWith('/') || allowed(specifier)) continue;
    // A type-only import brings no code (and no client) into the bundle.
    const statementStart = text.lastIndexOf('\n', match.index) + 1;
    if (/^\s*(import|export)\s+type\b/.test(text.slice(statementStart))) continue;
    found.push(`${file}:${text.slice(0, match.index).split('\n').length} imports ${specifier}`);
  }
  return found;
}

describe('Architecture: imports between layers', () => {
  const folders = [...new Set(areas.map(({ folder }) => folder.split('/')[0] ?? folder))];
  const files = folders.flatMap(filesUnder);

  it('finds the source files it checks', () => {
    // Assess: the scan sees every area, so an empty walk cannot pass silently.
    for (const { folder } of areas) {
      expect(files.some((file) => file.split(sep).join('/').startsWith(`${folder}/`)), folder).toBe(true);
    }
  });

  it.each(areas.map(({ area, mayImport }) => [area, mayImport.join(', ') || 'nothing of ours'] as const))(
    '%s imports only itself and: %s',
    (area) => {
      // Act
      const violations = files.filter((file) => areaOf(file) === area).flatMap(violationsOf);

      // Assess
      expect(violations.map((v) => `${v.file}:${v.line} imports ${v.specifier} (${v.target})`)).toEqual([]);
    },
  );

  it.each(packageRules.map(({ area, rule }) => [area, rule] as const))('%s imports %s', (area) => {
    // Prepare
    const { folder, allowed } = packageRules.find((entry) => entry.area === area)!;

    // Act
    const violations = files
      .filter((file) => file.split(sep).join('/').startsWith(`${folder}/`))
      .flatMap((file) => packageViolationsOf(file, allowed));

    // Assess
    expect(violations).toEqual([]);
  });

  it('reports a forbidden import with its file and line', () => {
    // Prepare: a Lambda file that reaches into the local runtime.
    const probe = 'lambdas/domain/__probe__.ts';
    const text = "import { x } from './ok';\nimport { startRuntime } from '../../local/runtime';\n";

    // Act: the same matcher the rule uses, on an in-memory file.
    const found = [...text.matchAll(SPECIFIER)]
      .map((m) => relative(root, resolve(root, dirname(probe), m[1] ?? '')))
      .map((target) => areaOf(target) ?? target.split(sep)[0]);

    // Assess
    expect(found).toEqual(['lambdas/domain', 'local']);
    expect(areas.find(({ area }) => area === 'lambdas/domain')?.mayImport).not.toContain('local');
  });
});
