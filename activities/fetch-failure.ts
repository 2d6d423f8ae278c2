/** What went wrong with a request, in words: timeouts and refused connections are the usual ones. */
export function fetchFailure(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `timed out after ${timeoutMs}ms`;
  // undici hides the socket's reason behind "fetch failed".
  return e.cause?.message ?? e.cause?.code ?? e.message ?? String(error);
}
