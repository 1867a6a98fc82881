/** The README's worked example, run as written: a fused custom loss and its gradient check. */
import { expect, it } from "vitest";
import * as pg from "../src/index.js";

it("the README's custom loss passes its gradient check", () => {
  const softmaxCrossEntropy = pg.customVjp(
    (logits: pg.Tensor, labels: pg.Tensor) => {
      const logProbabilities = pg.logSoftmax(logits);
      const n = logits.shape[0]!;
      const loss = pg.neg(pg.div(pg.sum(pg.mul(labels, logProbabilities)), n));
      return [loss, { probabilities: pg.exp(logProbabilities), labels, n }] as const;
    },
    ({ probabilities, labels, n }, g) => [
      pg.mul(g, pg.div(pg.sub(probabilities, labels), n)),
      null,
    ],
  );

  type Params = { W: pg.Tensor; b: pg.Tensor };
  const [kx, kw] = pg.split(pg.key(0), 2);
  const x = pg.normal(kx, [5, 20], { dtype: "float64" });
  const labels = pg.oneHot([0, 3, 1, 1, 2], 4, "float64");
  const params: Params = {
    W: pg.normal(kw, [20, 4], { std: 0.1, dtype: "float64" }),
    b: pg.zeros([4], "float64"),
  };
  const cost = (p: Params) => softmaxCrossEntropy(pg.add(pg.matmul(x, p.W), p.b), labels);

  const rows = pg.checkGradients(cost, params, { h: 1e-5 });
  for (const row of rows) {
    const [centered] = row.comparisons;
    console.log(row.path, row.pass, centered.relativeError.max, centered.absoluteDifference.max);
  }
  expect(rows.map((row) => [row.path, row.pass])).toEqual([
    ["W", true],
    ["b", true],
  ]);
});
