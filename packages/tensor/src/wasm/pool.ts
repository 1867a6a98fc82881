import { Worker } from "node:worker_threads";
import type { Kernel } from "./kernel";

// The protocol's Int32 words, at `control` in the shared memory. Jobs alternate between two
// slots, each with its own job descriptor and memory arena: job j uses slot j mod 2.
// GENERATION is 2j + 1 while job j is open to workers and 2j + 2 once it is closed. ACTIVE + s
// counts workers inside `participate` on slot s; a slot's operands and parameters are only
// rewritten while its count is 0, so a worker that wakes up late never reads a half-written job
// (it registers first, then checks that the generation it saw is still current), and one that
// the OS descheduled in the middle of a unit (which the others then redid) never writes into a
// later job. With two slots the next product need not wait for such a worker: only the one
// after. PARTICIPANTS limits which workers join; READY counts started ones.
const GENERATION = 0;
const PARTICIPANTS = 1;
const READY = 2;
const ACTIVE = 3;
const CONTROL_WORDS = 5;

/** How long to wait for new workers to start before computing without them. */
const WORKER_START_TIMEOUT_MS = 5000;
/**
 * How long an idle worker polls for the next job before it sleeps. Waking a sleeping thread
 * costs 15 µs to a millisecond, a good part of a mid-sized product, so `wake` rouses workers
 * while the caller copies the operands in, and they poll until the job opens. Polling longer
 * would also catch products that come back to back, but on a machine short of cores a polling
 * worker takes time from the thread that does the work (measured: 0.2 ms halved the speed of
 * 0.3 ms products there).
 */
const WORKER_SPIN_MS = 0.05;

// Runs inside each worker, evaluated from this string so that it needs no file of its own
// whatever bundler or loader runs this module; the dynamic import works whether Node evaluates it
// as CommonJS or as an ES module. Worker `index` (1-based; the calling thread is participant 0)
// joins only jobs that want more than `index` participants.
const WORKER_SOURCE = `import("node:worker_threads").then(({ workerData }) => {
  const { module, memory, control: controlOffset, jobs, index } = workerData;
  const { participate } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const control = new Int32Array(memory.buffer, controlOffset, ${CONTROL_WORDS});
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
    const active = ${ACTIVE} + ((generation >> 1) & 1);
    Atomics.add(control, active, 1);
    try {
      if (Atomics.load(control, ${GENERATION}) === generation) participate(jobs[(generation >> 1) & 1]);
    } finally {
      if (Atomics.sub(control, active, 1) === 1) Atomics.notify(control, active);
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

  /**
   * @param control byte offset of the protocol's five Int32 words.
   * @param jobs byte offsets of the two slots' job descriptors.
   */
  constructor(
    private readonly kernel: Kernel,
    control: number,
    private readonly jobs: readonly [number, number],
  ) {
    this.control = new Int32Array(kernel.memory.buffer, control, CONTROL_WORDS);
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
          workerData: { module, memory, control: this.control.byteOffset, jobs: this.jobs, index },
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

  /** Stops every worker (the pool is not used again). */
  close(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }

  /** Blocks until no worker is inside a job, so that every slot's memory may be moved. */
  quiesce(): void {
    for (const slot of [0, 1]) this.awaitIdle(slot);
  }

  private awaitIdle(slot: number): void {
    let active: number;
    while ((active = Atomics.load(this.control, ACTIVE + slot)) !== 0) {
      Atomics.wait(this.control, ACTIVE + slot, active);
    }
  }

  /** The slot that the next job runs in. */
  nextSlot(): number {
    return (Atomics.load(this.control, GENERATION) >> 1) & 1;
  }

  /**
   * Runs the next job (in `nextSlot()`) on the calling thread and `participants - 1` workers
   * (at most `size`): `prepare` writes the operands into the slot's arena and configures the
   * slot's job descriptor once no worker is left in it, then every participant calls the
   * kernel's `participate`, which returns on the calling thread once the whole job is done.
   */
  run(participants: number, prepare: () => void): void {
    const control = this.control;
    const slot = this.nextSlot();
    this.awaitIdle(slot);
    prepare();
    const workers = Math.min(participants - 1, this.workers.length);
    Atomics.store(control, PARTICIPANTS, workers + 1);
    Atomics.add(control, GENERATION, 1);
    if (workers > 0) Atomics.notify(control, GENERATION);
    try {
      this.kernel.exports.participate(this.jobs[slot]!);
    } finally {
      Atomics.add(control, GENERATION, 1);
    }
  }
}
