/**
 * Loads the handler modules CDK bundles (topology.ts `functions`) by
 * dynamic import, so they read the environment of the thread importing them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { functions, type FunctionName } from '../lambdas/system/topology';
import type { LambdaHandler } from './lambda';

/** The repository root (where package.json and lambdas/ live). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export type FunctionHandlers = Record<FunctionName, LambdaHandler>;

/** Raised when a function's handler module is missing or exports no `handler`. */
export class HandlerModuleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HandlerModuleError';
  }
}

/** Whether every handler module of topology.ts exists on disk. */
export function handlerModulesPresent(names: readonly FunctionName[] = Object.keys(functions) as FunctionName[]): boolean {
  return names.every((name) => existsSync(join(REPO_ROOT, functions[name].entry)));
}

/**
 * Imports one function's module and returns its `handler`. Its clients and
 * settings come from the process.env of the thread that imports it.
 *
 * @example
 * const fanOut = await importHandler('fanOut');
 */
export async function importHandler(name: FunctionName): Promise<LambdaHandler> {
  const entry = functions[name].entry;
  const path = join(REPO_ROOT, entry);
  if (!existsSync(path)) throw new HandlerModuleError(`Handler module ${entry} (function ${name}) does not exist`);
  const module = (await import(pathToFileURL(path).href)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new HandlerModuleError(`${entry} does not export a handler function`);
  return module.handler as LambdaHandler;
}

/**
 * Imports each function's module in this thread and returns its `handler`;
 * functions in `overrides` are taken from there instead (tests inject fakes
 * this way). The modules read process.env once, so one set per process: the
 * local runtime loads them in a worker of its own instead (handler-host.ts).
 *
 * @example
 * applyEnv(runtime.env);
 * const handlers = await loadHandlers();
 */
export async function loadHandlers(overrides: Partial<FunctionHandlers> = {}): Promise<FunctionHandlers> {
  const entries = await Promise.all(
    (Object.keys(functions) as FunctionName[]).map(async (name) => [name, overrides[name] ?? (await importHandler(name))] as const),
  );
  return Object.fromEntries(entries) as FunctionHandlers;
}
