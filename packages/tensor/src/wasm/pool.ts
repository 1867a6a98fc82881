import { Worker } from "node:worker_threads";
import type { Kernel } from "./kernel";

// Words of the first cache line of the job descriptor, which asm/matmul.ts leaves to this
// protocol. GENERATION is odd while a job is open to workers and even while it is closed (being
// prepared, or finished). ACTIVE counts workers inside `participate`; operands and parameters
// are only rewritten when the job is closed and ACTIVE is 0, so a worker that wakes up late
// never reads a half-written job (it registers in ACTIVE first and then checks that the
// generation it saw is still current), and one still finishing a unit that others redid never
// writes into the next job. PARTICIPANTS limits which workers join; READY counts started ones.
const GENERATION = 0;
const ACTIVE = 1;
const PARTICIPANTS = 2;
const READY = 3;
const CONTROL_WORDS = 4;

/** How long to wait for new workers to start before computing without them. */
const WORKER_START_TIMEOUT_MS = 5000;
/**
 * How long an idle worker polls for the next job before it sleeps: waking a sleeping thread
 * costs 40 µs to a millisecond here, as much as a mid-sized product, and products often come
 * back to back (forward and backward passes).
 */
const WORKER_SPIN_MS = 0.2;

// Runs inside each worker, evaluated from this string so that it needs no file of its own
// whatever bundler or loader runs this module; the dynamic import works whether Node evaluates it
// as CommonJS or as an ES module. Worker `index` (1-based; the calling thread is participant 0)
// joins only jobs that want more than `index` participants.
const WORKER_SOURCE = `import("node:worker_threads").then(({ workerData }) => {
  const { module, memory, job, index } = workerData;
  const { participate } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const control = new Int32Array(memory.buffer, job, ${CONTROL_WORDS});
  let seen = Atomics.load(control, ${GENERATION});
  Atomics.add(control, ${READY}, 1);
  Atomics.notify(control, ${READY});
  const awaitNextGeneration = () => {
    const start = performance.now();
    do {
      for (let i = 0; i < 1000; i++) if (Atomics.load(control, ${GENERATION}) !== seen) return;
    } while (performance.now() - start < ${WORKER_SPIN_MS});
    Atomics.wait(control, ${GENERATION}, seen);
  };
  for (;;) {
    awaitNextGeneration();
    const generation = Atomics.load(control, ${GENERATION});
    if (generation === seen) continue; // woken early by wake(): poll for the job
    seen = generation;
    if ((generation & 1) === 0 || index >= Atomics.load(control, ${PARTICIPANTS})) continue;
    Atomics.add(control, ${ACTIVE}, 1);
    try {
      if (Atomics.load(control, ${GENERATION}) === generation) participate(job);
    } finally {
      if (Atomics.sub(control, ${ACTIVE}, 1) === 1) Atomics.notify(control, ${ACTIVE});
    }
  }
});
`;

/**
 * Worker threads that run the kernel on the same shared memory as the calling thread, driven
 * synchronously through Atomics. The workers are unref'd: they never keep the process alive.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly control: Int32Array;
  private startFailure: string | undefined;

  constructor(
    private readonly kernel: Kernel,
    private readonly job: number,
  ) {
    this.control = new Int32Array(kernel.memory.buffer, job, CONTROL_WORDS);
  }

  /** Number of started workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Why the pool has fewer workers than were asked for, if it does; it then stops growing. */
  get failure(): string | undefined {
    return this.startFailure;
  }

  /**
   * Starts workers until there are `count`, blocking until they are ready (or reports why not
   * in `failure` and keeps those that did start).
   */
  grow(count: number): void {
    if (this.workers.length >= count || this.startFailure !== undefined) return;
    const { module, memory } = this.kernel;
    const starting: Worker[] = [];
    try {
      for (let index = this.workers.length + 1; index <= count; index++) {
        // No inherited execArgv: the caller's loaders and flags (--input-type, --import, ...)
        // only slow a worker that runs nothing but the kernel.
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          execArgv: [],
          workerData: { module, memory, job: this.job, index },
        });
        worker.unref();
        // Unhandled, a worker's error would crash the process. Jobs still complete without a
        // failed worker (others redo its units); matmulInfo reports the failure.
        worker.on("error", (error) => {
          this.startFailure ??= `a worker thread failed: ${error.message}`;
        });
        starting.push(worker);
      }
    } catch (error) {
      this.startFailure = `worker threads cannot start (${error instanceof Error ? error.message : error})`;
    }
    const target = this.workers.length + starting.length;
    const deadline = Date.now() + WORKER_START_TIMEOUT_MS;
    let ready: number;
    while ((ready = Atomics.load(this.control, READY)) < target) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      Atomics.wait(this.control, READY, ready, left);
    }
    if (ready >= target) {
      this.workers.push(...starting);
    } else {
      // Which of them started is unknown, so none is kept: a worker joins only jobs that count it.
      for (const worker of starting) void worker.terminate();
      this.startFailure ??= `worker threads did not start within ${WORKER_START_TIMEOUT_MS} ms`;
    }
  }

  /**
   * Wakes sleeping workers to poll for a job that `run` will start shortly, so that their
   * wake-up latency overlaps the caller's preparation (copying operands in).
   */
  wake(): void {
    Atomics.notify(this.control, GENERATION);
  }

  /**
   * Runs one job on the calling thread and `participants - 1` workers (at most `size`):
   * `prepare` writes the operands and the job once no worker is left in an earlier job (one
   * the OS descheduled may still be finishing a unit that others redid), then every
   * participant calls the kernel's `participate`, which returns on the calling thread once the
   * whole job is done.
   */
  run(participants: number, prepare: () => void): void {
    const control = this.control;
    let active: number;
    while ((active = Atomics.load(control, ACTIVE)) !== 0) Atomics.wait(control, ACTIVE, active);
    prepare();
    const workers = Math.min(participants - 1, this.workers.length);
    Atomics.store(control, PARTICIPANTS, workers + 1);
    Atomics.add(control, GENERATION, 1);
    if (workers > 0) Atomics.notify(control, GENERATION);
    try {
      this.kernel.exports.participate(this.job);
    } finally {
      Atomics.add(control, GENERATION, 1);
    }
  }
}
