// @ts-check
/** Reading the errors the HTTP API, the socket and acks produce. */

/** An HTTP API refusal: `{"error": {code, message}}` with its status. */
export class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** @param {unknown} err */
export function isUnauthorized(err) {
  return err instanceof HttpError && err.status === 401;
}

/** The sentence to show a person for any error. @param {unknown} err */
export function messageOf(err) {
  if (err && typeof err === 'object') {
    const e = /** @type {{ message?: unknown, data?: { message?: unknown } }} */ (err);
    if (typeof e.data?.message === 'string') return e.data.message;
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}

/** Whether a connect error means the token was refused (rather than the server being away). @param {unknown} err */
export function isAuthError(err) {
  if (!err || typeof err !== 'object') return false;
  const e = /** @type {{ message?: unknown, code?: unknown, status?: unknown, data?: any }} */ (err);
  const code = e.code ?? e.data?.code;
  const status = e.status ?? e.data?.status ?? e.data?.statusCode;
  return code === 'UNAUTHORIZED' || status === 401 || /\b401\b|unauthori[sz]ed|expired/i.test(String(e.message ?? ''));
}
