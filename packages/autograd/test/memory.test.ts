/**
 * Tracing state never outlives its call: 10,000 valueAndGrad calls keep the heap flat.
 * Runs with --expose-gc (see vitest.config.ts) so heap sizes are measured after collection.
 */
import * as T from "@puregrad/tensor";
import { expect, it } from "vitest";
import * as pg from "../src/index.js";

function heapAfterCollection(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("memory test needs node --expose-gc (vitest execArgv)");
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

it("keeps memory flat over 10,000 valueAndGrad calls", () => {
  const x = T.normal(T.key(1), [8, 16]);
  const labels = T.oneHot([0, 1, 2, 3, 0, 1, 2, 3], 4);
  type Params = { W1: pg.Tensor; b1: pg.Tensor; W2: pg.Tensor; b2: pg.Tensor };
  let params: Params = {
    W1: T.normal(T.key(2), [16, 12], { std: 0.3 }),
    b1: T.zeros([12]),
    W2: T.normal(T.key(3), [12, 4], { std: 0.3 }),
    b2: T.zeros([4]),
  };
  const cost = (p: Params) => {
    const hidden = pg.relu(pg.add(pg.matmul(x, p.W1), p.b1));
    const logits = pg.add(pg.matmul(hidden, p.W2), p.b2);
    const loss = pg.neg(pg.mean(pg.sum(pg.mul(labels, pg.logSoftmax(logits)), { axis: 1 })));
    return pg.add(loss, pg.mul(pg.sum(pg.square(p.W1)), 1e-3));
  };
  const step = valueAndGradStep(cost);
  let first = 0;
  let last = 0;
  for (let i = 0; i < 10_000; i++) {
    if (i === 1_000) first = heapAfterCollection();
    const [value, next] = step(params);
    params = next;
    last = value;
  }
  const growth = heapAfterCollection() - first;
  expect(growth).toBeLessThan(4 * 1024 * 1024);
  expect(last).toBeLessThan(0.1); // it trained: the loop really ran the gradients
});

function valueAndGradStep<P>(cost: (p: P) => pg.Tensor) {
  const valueAndGrad = pg.valueAndGrad(cost);
  return (params: P): [number, P] => {
    const [value, grads] = valueAndGrad(params);
    return [value.item(), pg.treeMap((p, g) => pg.sub(p, pg.mul(g!, 0.1)), params, grads)];
  };
}
