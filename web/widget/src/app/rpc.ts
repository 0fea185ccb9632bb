// A typed request/reply client for the worker.
import type { Progress, Replies, Request, RequestEnvelope, ResponseEnvelope, Summary } from "../worker/messages.ts";

/** An error the worker reported; code selects the message shown. */
export class WorkerError extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = "WorkerError";
  }
}

/** Talks to the worker; upload progress goes to onProgress, background validation to onValidation. */
export class WorkerClient {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  onProgress: (p: Progress) => void = () => {};
  onValidation: (s: Summary) => void = () => {};

  constructor(url: string) {
    this.worker = new Worker(url, { name: "intake-parser" });
    this.worker.onmessage = (event: MessageEvent<ResponseEnvelope>) => {
      const m = event.data;
      if ("progress" in m) {
        this.onProgress(m.progress);
        return;
      }
      if ("validation" in m) {
        this.onValidation(m.validation);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new WorkerError(m.code));
    };
    this.worker.onerror = () => {
      for (const p of this.pending.values()) p.reject(new WorkerError("worker_crashed"));
      this.pending.clear();
    };
  }

  call<K extends Request["op"]>(request: Extract<Request, { op: K }>): Promise<Replies[K]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const envelope: RequestEnvelope = { id, ...request };
      this.worker.postMessage(envelope);
    });
  }
}
