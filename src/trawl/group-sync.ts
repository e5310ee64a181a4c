/**
 * Group commit for fsync: callers that ask while a sync is running share the next one, so N pages finishing together
 * cost about two syncs, not N. Every caller returns only after a sync that started after it asked, so whatever it
 * wrote before asking is on disk.
 */
export function groupSync(sync: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const current = sync().finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (!running) return start();
    // Writes made while a sync runs may have missed it: wait for it, then share one more.
    next ??= running
      .catch(() => {})
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}
