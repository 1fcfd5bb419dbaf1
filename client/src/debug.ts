/**
 * A tiny namespaced logger in the spirit of the `debug` package, without the
 * dependency. Enable with `localStorage.debug = 'lettera:*'` in a browser or
 * `DEBUG=lettera:*` in Node.js (comma-separated patterns, `*` wildcard).
 */
export type DebugFn = (...args: unknown[]) => void;

function enabledPatterns(): string {
  const g = globalThis as {
    localStorage?: { getItem(key: string): string | null };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    return g.localStorage?.getItem('debug') ?? g.process?.env?.DEBUG ?? '';
  } catch {
    // localStorage throws in some sandboxed iframes.
    return g.process?.env?.DEBUG ?? '';
  }
}

function matches(namespace: string, patterns: string): boolean {
  return patterns
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(namespace));
}

/**
 * A logger for one namespace; it checks whether it is enabled when created.
 *
 * @example
 * const debug = createDebug('lettera:socket');
 * debug('reconnecting in %d ms', delay);
 */
export function createDebug(namespace: string): DebugFn {
  if (!matches(namespace, enabledPatterns())) return () => {};
  return (...args: unknown[]) => {
    const [first, ...rest] = args;
    console.debug(`${namespace} ${String(first)}`, ...rest);
  };
}
