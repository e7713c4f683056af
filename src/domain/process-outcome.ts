/** How processing one inbox row ended (src/pipeline/process-inbound-event.ts), as its callers and metrics see it. */
export type ProcessOutcome =
  | { status: 'processed' | 'ignored'; reason: string | null }
  | { status: 'failed'; reason: string }
  /** put back for another attempt, not taken up again before `retryAt` */
  | { status: 'retry'; reason: string; attempt: number; retryAt: Date }
  /** another runner holds it, or it is already done */
  | { status: 'skipped' };
