// Long work on a worker's thread (parsing a file, checking rows) must let
// the thread's queued tasks run now and then: the grid's requests, the
// replies of helper workers, and even the loading of a helper worker this
// worker started, which goes through this thread. Awaiting a stream that
// already holds its data, or a promise, runs no task.

/** letTasksRun resolves once the tasks queued before it have run (a message channel hop, no timer clamping). */
export function letTasksRun(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Pauser lets tasks run once every interval milliseconds of work: call maybe() between pieces of it. */
export class Pauser {
  private last = performance.now();
  constructor(private readonly interval: number) {}

  maybe(): Promise<void> | null {
    const now = performance.now();
    if (now - this.last < this.interval) return null;
    this.last = now;
    return letTasksRun();
  }
}
