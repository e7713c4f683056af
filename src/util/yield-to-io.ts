/**
 * Lets the event loop take pending I/O (requests, sockets) before going on. On the embedded database each query
 * runs in this thread and its promise resolves at once, so a chain of awaited queries never gives the loop a turn:
 * a long piece of work split into transactions still keeps every request out unless it yields between them.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
