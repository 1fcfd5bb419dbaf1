/**
 * Idempotency markers of sends with a clientMessageId: a Messages row per
 * (sender, clientMessageId) that points at the message it produced, so a
 * retry returns that message instead of writing a second one.
 */
import { createHash } from 'node:crypto';

/** Marker rows of clientMessageId live this long (TTL), far beyond any client retry. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Sort keys of markers start here; every ULID sorts below it, so history queries bound by it. */
export const MARKER_PREFIX = 'idem#';

/** What a marker remembers of the content, to tell a retry from a reuse of the id for different content. */
export const hashOf = (content: string): string => createHash('sha256').update(content).digest('base64url');

/** Sort key of the idempotency marker of (sender, clientMessageId). */
export const markerIdOf = (senderId: string, clientMessageId: string): string => `${MARKER_PREFIX}${senderId}#${clientMessageId}`;
