import { describe, expect, it } from 'vitest';
import { optionalEnv, requireEnv, requireTableNames } from '../../../../lambdas/commons/env';

describe('Function: requireEnv', () => {
  it('returns a set variable', () => {
    // Act
    const value = requireEnv('X', { X: 'value' });

    // Assess
    expect(value).toBe('value');
  });

  it('throws naming the variable when it is missing or empty', () => {
    // Act & Assess
    expect(() => requireEnv('CONNECTIONS_TABLE', {})).toThrow('Environment variable CONNECTIONS_TABLE is required');
    expect(() => requireEnv('CONNECTIONS_TABLE', { CONNECTIONS_TABLE: '' })).toThrow('CONNECTIONS_TABLE');
  });
});

describe('Function: optionalEnv', () => {
  it('treats an empty value as unset', () => {
    // Act & Assess
    expect(optionalEnv('X', { X: '' })).toBeUndefined();
    expect(optionalEnv('X', { X: 'y' })).toBe('y');
  });
});

describe('Function: requireTableNames', () => {
  it('reads only the tables asked for, keyed as domain deps name them', () => {
    // Prepare: test/setup.ts sets every table variable.
    process.env.ROOMS_TABLE = 'Rooms-abc';

    // Act
    const tables = requireTableNames('roomsTable', 'presenceTable');

    // Assess
    expect(tables).toEqual({ roomsTable: 'Rooms-abc', presenceTable: 'Presence' });
    process.env.ROOMS_TABLE = 'Rooms';
  });

  it('fails at load when a table the function needs is not configured', () => {
    // Prepare
    const saved = process.env.MESSAGES_TABLE;
    delete process.env.MESSAGES_TABLE;

    // Act & Assess
    try {
      expect(() => requireTableNames('messagesTable')).toThrow('Environment variable MESSAGES_TABLE is required');
    } finally {
      process.env.MESSAGES_TABLE = saved;
    }
  });
});
