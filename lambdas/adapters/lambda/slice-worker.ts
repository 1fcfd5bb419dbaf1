/**
 * The fan-out's SliceWorker in AWS: a synchronous invoke of the slice
 * poster function per slice; the answer is the slice's broadcast result.
 */
import { parseBroadcastResult } from '../../domain/fan-out/slices';
import type { SliceWorker } from '../../domain/ports';
import type { FunctionInvoker } from './invoker';

/**
 * @example
 * const postSlice = invokeSliceWorker(createFunctionInvoker({ functionName, region, credentials, timeoutMs }));
 */
export function invokeSliceWorker(invoke: FunctionInvoker): SliceWorker {
  return async (slice) => parseBroadcastResult(await invoke(slice));
}
