import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one Powertools logger of the Lambda functions. The level comes from
 * POWERTOOLS_LOG_LEVEL (SILENT in unit tests). Never log tokens, message
 * content or whole events: they carry credentials and user text.
 *
 * @example
 * logger.warn('token refused', { reason: 'ERR_JWT_EXPIRED' });
 */
export const logger = new Logger({ serviceName: 'lettera-realtime' });
