/**
 * The contract between lettera-realtime's server, its client library and
 * the demo page: the JSON protocol (v1), its events and actions, error
 * codes and shared limits. It imports nothing of the project, so every
 * side can depend on it and none on another.
 */
export * from './wire';
export * from './limits';
export * from './events';
export * from './actions';
export * from './errors';
export * from './calls';
