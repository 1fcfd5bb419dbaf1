import { describe, expect, it } from 'vitest';
import { evaluateSelectionExpression, selectRoute } from '../../../../local/gateway/route-selection';

describe('Function: selectRoute', () => {
  const routes = new Set(['typing', '1', 'a/b', '$default']);

  it('selects the stringified action and falls back to $default', () => {
    // Prepare
    const expression = '$request.body.action';

    // Act
    const keys = ['{"action":"typing"}', '{"action":1}', '{"action":"nope"}', 'not json', '{}', '{"action":"$connect"}'].map((f) => selectRoute(expression, f, routes));

    // Assess
    expect(keys).toEqual(['typing', '1', '$default', '$default', '$default', '$default']);
  });

  it('evaluates template expressions and nested paths', () => {
    // Prepare
    const frame = '{"a":"a","b":"b","nested":{"kind":"x"}}';

    // Act
    const template = evaluateSelectionExpression('${request.body.a}/${request.body.b}', frame);
    const nested = evaluateSelectionExpression('$request.body.nested.kind', frame);
    const missing = evaluateSelectionExpression('${request.body.a}/${request.body.c}', frame);

    // Assess
    expect([template, nested, missing]).toEqual(['a/b', 'x', undefined]);
  });
});
