/**
 * Route selection as API Gateway does it: evaluate the selection expression
 * (`$request.body.action`, or a template such as
 * `${request.body.a}/${request.body.b}`) against the JSON frame, stringify
 * the result, fall back to `$default` when the frame is not JSON, the field
 * is missing or no route has that key.
 */

const DEFAULT_ROUTE = '$default';

function lookup(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringify(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Evaluates a selection expression; undefined when it selects nothing. */
export function evaluateSelectionExpression(expression: string, frame: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (expression.startsWith('$request.body.')) {
    return stringify(lookup(body, expression.slice('$request.body.'.length)));
  }
  let missing = false;
  const key = expression.replace(/\$\{request\.body\.([^}]+)\}/g, (_, path: string) => {
    const value = stringify(lookup(body, path));
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : key;
}

/**
 * The route key a frame goes to: the selected key when a route has it,
 * otherwise `$default` (which may itself be absent; the caller decides).
 *
 * @example
 * selectRoute('$request.body.action', '{"action":"typing"}', new Set(['typing'])); // 'typing'
 * selectRoute('$request.body.action', 'not json', new Set(['typing']));           // '$default'
 */
export function selectRoute(expression: string, frame: string, routeKeys: ReadonlySet<string>): string {
  const key = evaluateSelectionExpression(expression, frame);
  return key !== undefined && routeKeys.has(key) && !key.startsWith('$') ? key : DEFAULT_ROUTE;
}
