// Entry of a handler worker (see handler-host.ts): plain JavaScript, so Node
// can start it whatever runs the parent (tsx, vitest); it registers tsx in
// this thread, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./handler-worker-main.ts');
