/**
 * Lambda event filtering (filter criteria patterns, EventBridge syntax) for
 * stream records in Lambda's shape: a record is delivered when it matches
 * any pattern; records matching none are skipped, but still checkpointed.
 */

type Pattern = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Does one leaf value satisfy one pattern element (literal or operator object)? */
function matchesElement(value: unknown, element: unknown): boolean {
  if (!isPlainObject(element)) return value === element;
  if ('prefix' in element) return typeof value === 'string' && value.startsWith(String(element.prefix));
  if ('suffix' in element) return typeof value === 'string' && value.endsWith(String(element.suffix));
  if ('equals-ignore-case' in element) return typeof value === 'string' && value.toLowerCase() === String(element['equals-ignore-case']).toLowerCase();
  if ('anything-but' in element) {
    const excluded = element['anything-but'];
    const list = Array.isArray(excluded) ? excluded : [excluded];
    return value !== undefined && !list.some((item) => matchesElement(value, item));
  }
  if ('numeric' in element && Array.isArray(element.numeric)) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (Number.isNaN(n)) return false;
    const ops = element.numeric as unknown[];
    for (let i = 0; i + 1 < ops.length; i += 2) {
      const bound = Number(ops[i + 1]);
      const ok = { '=': n === bound, '<': n < bound, '<=': n <= bound, '>': n > bound, '>=': n >= bound }[String(ops[i])];
      if (ok !== true) return false;
    }
    return true;
  }
  return false;
}

function matchesField(value: unknown, rule: unknown): boolean {
  if (isPlainObject(rule)) return isPlainObject(value) && matchesPattern(value, rule);
  if (!Array.isArray(rule)) return false;
  return rule.some((element) => {
    if (isPlainObject(element) && 'exists' in element) return element.exists === true ? value !== undefined : value === undefined;
    const values = Array.isArray(value) ? value : [value];
    return value !== undefined && values.some((v) => matchesElement(v, element));
  });
}

/**
 * Does the record match this pattern? Every key of the pattern must match:
 * arrays list acceptable values (or operators), objects descend.
 *
 * @example
 * matchesPattern(record, { eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['message'] } } } });
 */
export function matchesPattern(record: Record<string, unknown>, pattern: Pattern): boolean {
  return Object.entries(pattern).every(([key, rule]) => matchesField(record[key], rule));
}

/** True when there are no filters or the record matches at least one. */
export function matchesFilters(record: object, filters: readonly Pattern[]): boolean {
  return filters.length === 0 || filters.some((pattern) => matchesPattern(record as Record<string, unknown>, pattern));
}
