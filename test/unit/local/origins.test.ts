import { describe, expect, it } from 'vitest';
import { InvalidOriginError, ownOrigins, parseOrigin, parseOrigins } from '../../../local/origins';

describe('Function: parseOrigin', () => {
  it('normalizes an origin as a browser sends it', () => {
    // Act + Assess
    expect(parseOrigin('http://LOCALHOST:5173/')).toBe('http://localhost:5173');
    expect(parseOrigin(' https://app.example.com:443 ')).toBe('https://app.example.com');
  });

  it.each(['localhost:5173', 'http://localhost:5173/app', 'ftp://x', 'http://x/?a=1', '*', ''])('refuses %j with a message showing the form', (value) => {
    // Act + Assess
    expect(() => parseOrigin(value)).toThrow(InvalidOriginError);
    expect(() => parseOrigin(value)).toThrow(/scheme:\/\/host\[:port\]/);
  });
});

describe('Function: parseOrigins', () => {
  it('reads comma-separated lists, skipping empty entries and duplicates', () => {
    // Act + Assess
    expect(parseOrigins(['http://localhost:5173, http://localhost:5173/', '', 'https://a.example'])).toEqual(['http://localhost:5173', 'https://a.example']);
    expect(parseOrigins([''])).toEqual([]);
  });
});

describe('Function: ownOrigins', () => {
  it('adds the localhost name of a 127.0.0.1 page', () => {
    // Act + Assess
    expect(ownOrigins('http://127.0.0.1:3000')).toEqual(['http://127.0.0.1:3000', 'http://localhost:3000']);
    expect(ownOrigins('http://0.0.0.0:3000')).toEqual(['http://0.0.0.0:3000']);
  });
});
