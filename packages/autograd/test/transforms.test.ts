import * as T from "@puregrad/tensor";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as pg from "../src/index.js";
import { expectAllPass, gradientAlongDirections, random } from "./helpers.js";

const { grad, valueAndGrad, vjp, customVjp, stopGradient } = pg;
type Tensor = pg.Tensor;

function expectClose(actual: Tensor, expected: Tensor, tolerance = 1e-12): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  expect(T.allClose(actual, expected, { rtol: tolerance, atol: tolerance }), `${actual}`).toBe(
    true,
  );
}

const x3 = T.tensor([0.5, -1.5, 2], "float64");

describe("closed forms", () => {
  it("the gradient of ‖W‖² is 2W", () => {
    const w = random([3, 4], 1);
    expectClose(grad((w: Tensor) => pg.sum(pg.square(w)))(w), T.mul(w, 2));
  });

  it("the gradients of Σ G ⊙ (A·B) are G·Bᵀ and Aᵀ·G", () => {
    const [a, b, g] = [random([2, 3], 1), random([3, 4], 2), random([2, 4], 3)];
    const [da, db] = grad((a: Tensor, b: Tensor) => pg.sum(pg.mul(pg.matmul(a, b), g)), {
      argnums: [0, 1],
    })(a, b);
    expectClose(da, T.matmul(g, T.transpose(b)));
    expectClose(db, T.matmul(T.transpose(a), g));
  });

  it("the gradient of mean softmax cross-entropy with respect to the logits is (p − y)/n", () => {
    const logits = random([5, 4], 1);
    const labels = T.oneHot([0, 3, 1, 1, 2], 4, "float64");
    const loss = (s: Tensor) =>
      pg.neg(pg.mean(pg.sum(pg.mul(labels, pg.logSoftmax(s)), { axis: 1 })));
    const probabilities = T.div(T.exp(logits), T.sum(T.exp(logits), { axis: 1, keepDims: true }));
    expectClose(grad(loss)(logits), T.div(T.sub(probabilities, labels), 5));
  });

  it("third derivatives of x³ are 3x², 6x and 6", () => {
    const cube = (x: Tensor) => pg.sum(pg.pow(x, 3));
    const second = (x: Tensor) => pg.sum(grad(cube)(x));
    const third = (x: Tensor) => pg.sum(grad(second)(x));
    expectClose(grad(cube)(x3), T.mul(T.square(x3), 3));
    expectClose(grad(second)(x3), T.mul(x3, 6));
    expectClose(grad(third)(x3), T.full([3], 6, "float64"));
  });

  it("grad of valueAndGrad differentiates the inner gradient", () => {
    const f = (x: Tensor) => pg.sum(pg.exp(pg.mul(x, 2)));
    const outer = grad((x: Tensor) => {
      const [value, gradient] = valueAndGrad(f)(x);
      return pg.add(value, pg.sum(gradient));
    });
    // d/dx [Σ e²ˣ + Σ 2e²ˣ] = 2e²ˣ + 4e²ˣ
    expectClose(outer(x3), T.mul(T.exp(T.mul(x3, 2)), 6));
  });
});

describe("grad and valueAndGrad", () => {
  interface Layer {
    W: Tensor;
    b: Tensor;
  }
  interface Model {
    layers: Layer[];
    scale: Tensor;
  }
  const model: Model = {
    layers: [
      { W: random([3, 2], 1), b: random([2], 2) },
      { W: random([2, 1], 3), b: random([1], 4) },
    ],
    scale: T.scalar(0.5, "float64"),
  };
  const data = random([4, 3], 5);
  const predict = (m: Model, x: Tensor) =>
    m.layers.reduce((h, layer) => pg.tanh(pg.add(pg.matmul(h, layer.W), layer.b)), x);
  const cost = (m: Model, x: Tensor) => pg.mul(m.scale, pg.sum(pg.square(predict(m, x))));

  it("returns a gradient with the parameters' structure and type", () => {
    const gradients = grad(cost)(model, data);
    expectTypeOf(gradients).toEqualTypeOf<Model>();
    expect(gradients.layers.map((l) => [l.W.shape, l.b.shape])).toEqual([
      [[3, 2], [2]],
      [[2, 1], [1]],
    ]);
    expectAllPass(pg.checkGradients((m: Model) => cost(m, data), model));
  });

  it("valueAndGrad returns the value and the same gradient", () => {
    const [value, gradients] = valueAndGrad(cost)(model, data);
    expectTypeOf(gradients).toEqualTypeOf<Model>();
    expect(value.item()).toBeCloseTo(cost(model, data).item(), 14);
    expectClose(gradients.scale, grad(cost)(model, data).scale);
  });

  it("argnums picks one argument or several, in the order given", () => {
    const f = (a: Tensor, _label: string, b: Tensor) => pg.sum(pg.mul(pg.square(a), b));
    const [a, b] = [random([3], 1), random([3], 2)];
    const db = grad(f, { argnums: 2 })(a, "ignored", b);
    expectTypeOf(db).toEqualTypeOf<Tensor>();
    expectClose(db, T.square(a));
    const [gb, ga] = grad(f, { argnums: [2, 0] })(a, "ignored", b);
    expectClose(gb, T.square(a));
    expectClose(ga, T.mul(T.mul(a, b), 2));
  });

  it("hasAux passes an auxiliary result through", () => {
    const f = (x: Tensor): [Tensor, { largest: Tensor; label: string }] => {
      const y = pg.square(x);
      return [pg.sum(y), { largest: pg.max(y), label: "stats" }];
    };
    const [gradient, aux] = grad(f, { hasAux: true })(x3);
    expectTypeOf(aux).toEqualTypeOf<{ largest: Tensor; label: string }>();
    expectClose(gradient, T.mul(x3, 2));
    expect(aux.largest.item()).toBe(4);
    const [[value, aux2], gradient2] = valueAndGrad(f, { hasAux: true })(x3);
    expect(value.item()).toBe(0.25 + 2.25 + 4);
    expect(aux2.label).toBe("stats");
    expectClose(gradient2, gradient);
  });

  it("gives zeros for inputs the result does not depend on", () => {
    const [used, unused] = grad((a: Tensor, _b: Tensor) => pg.sum(a), { argnums: [0, 1] })(
      x3,
      random([2, 2], 1),
    );
    expectClose(used, T.onesLike(x3));
    expectClose(unused, T.zeros([2, 2], "float64"));
  });

  it("treats a tensor appearing twice in the parameters as two leaves", () => {
    const shared = T.tensor([1, 2], "float64");
    const gradients = grad((p: { a: Tensor; b: Tensor }) => pg.sum(pg.mul(p.a, pg.square(p.b))))({
      a: shared,
      b: shared,
    });
    expectClose(gradients.a, T.tensor([1, 4], "float64"));
    expectClose(gradients.b, T.tensor([2, 8], "float64"));
  });

  it("keeps nested derivatives' variables apart (no perturbation confusion)", () => {
    // f(x) = x · d/dy (x·y) = x², so f'(x) = 2x; confusing x with y would give 4x.
    const f = (x: Tensor) => pg.sum(pg.mul(x, grad((y: Tensor) => pg.sum(pg.mul(x, y)))(x)));
    expectClose(grad(f)(x3), T.mul(x3, 2));
  });

  it("lets an inner trace's intermediate reach the outer function while the outer trace knows it", () => {
    const f = (x: Tensor) => {
      let product: Tensor | undefined;
      const g = grad((y: Tensor) => {
        product = pg.mul(y, x);
        return pg.sum(product);
      })(x);
      return pg.sum(pg.mul(product!, g)); // Σ x²·x
    };
    expectClose(grad(f)(x3), T.mul(T.square(x3), 3));
  });

  it("records only what depends on the inputs, and never computes the gradient of data", () => {
    const calls = { matmul: 0 };
    const counting = new Proxy(T.cpuBackend, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (property !== "matmul") return typeof value === "function" ? value.bind(target) : value;
        return (...args: unknown[]) => {
          calls.matmul++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const previous = T.getBackend();
    T.setBackend(counting);
    try {
      const inputs = T.normal(T.key(1), [8, 5], { dtype: "float64" });
      const weights = T.normal(T.key(2), [5, 3], { dtype: "float64" });
      const gradient = grad((w: Tensor) => pg.sum(pg.matmul(inputs, w)))(weights);
      // One forward product and one for dW; dX = g·Wᵀ would be a third.
      expect(calls.matmul).toBe(2);
      const columnSums = T.reshape(T.sum(inputs, { axis: 0 }), [5, 1]);
      expectClose(gradient, T.broadcastTo(columnSums, [5, 3]));
    } finally {
      T.setBackend(previous);
    }
  });
});

describe("vjp", () => {
  it("pulls back a non-scalar cotangent through a pytree output", () => {
    const [a, b] = [random([2, 3], 1), random([3, 2], 2)];
    const [output, pullback] = vjp(
      (a: Tensor, b: Tensor) => ({ product: pg.matmul(a, b), total: pg.sum(a) }),
      a,
      b,
    );
    expectTypeOf(pullback).returns.toEqualTypeOf<[Tensor, Tensor]>();
    const g = random([2, 2], 3);
    const [da, db] = pullback({ product: g, total: T.scalar(2, "float64") });
    expectClose(output.product, T.matmul(a, b));
    expectClose(da, T.add(T.matmul(g, T.transpose(b)), 2));
    expectClose(db, T.matmul(T.transpose(a), g));
    const [again] = pullback({ product: g, total: T.scalar(2, "float64") });
    expectClose(again, da);
  });

  it("rejects a cotangent whose shape differs from the output's", () => {
    const [, pullback] = vjp((x: Tensor) => ({ y: pg.exp(x) }), x3);
    expect(() => pullback({ y: T.zeros([2], "float64") })).toThrow(
      "vjp pullback: the cotangent at y is float64 [2], but the output there is float64 [3]",
    );
  });
});

describe("stopGradient", () => {
  it("blocks the gradient through its result only", () => {
    const f = (x: Tensor) => pg.sum(pg.mul(stopGradient(x), x));
    expectClose(grad(f)(x3), x3);
  });

  it("maps over pytrees and returns its argument outside a trace", () => {
    const tree = { a: x3, b: [x3] };
    expect(stopGradient(tree)).toBe(tree);
    const g = grad((p: { a: Tensor; b: Tensor[] }) => {
      const frozen = stopGradient(p);
      return pg.sum(pg.add(pg.mul(frozen.a, p.a), pg.mul(frozen.b[0]!, frozen.b[0]!)));
    })(tree);
    expectClose(g.a, x3);
    expectClose(g.b[0]!, T.zerosLike(x3));
  });
});

describe("customVjp", () => {
  const softmaxCrossEntropy = customVjp(
    (logits: Tensor, labels: Tensor) => {
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
  const logits = random([4, 3], 1);
  const labels = T.oneHot([2, 0, 1, 1], 3, "float64");

  it("uses the rule: the fused cross-entropy's gradient is (p − y)/n", () => {
    const [value, gradient] = valueAndGrad((s: Tensor) => softmaxCrossEntropy(s, labels))(logits);
    const plain = (s: Tensor) =>
      pg.neg(pg.mean(pg.sum(pg.mul(labels, pg.logSoftmax(s)), { axis: 1 })));
    expect(value.item()).toBeCloseTo(plain(logits).item(), 14);
    expectClose(gradient, grad(plain)(logits));
    expectAllPass(pg.checkGradients((s: Tensor) => softmaxCrossEntropy(s, labels), logits));
  });

  it("composes with grad of grad (second derivatives through forward and backward)", () => {
    const f = ([s]: Tensor[]) => softmaxCrossEntropy(pg.mul(s!, s!), labels);
    expectAllPass(pg.checkGradients(gradientAlongDirections(f), [logits]));
  });

  it("replaces autodiff of the forward: a straight-through estimator", () => {
    const roundStraightThrough = customVjp(
      (x: Tensor) => [pg.sign(x), null] as const,
      (_, g) => [g],
    );
    expectClose(
      grad((x: Tensor) => pg.sum(pg.mul(roundStraightThrough(x), 3)))(x3),
      T.full([3], 3, "float64"),
    );
    // Outside a trace it is its forward's output.
    expectClose(roundStraightThrough(x3), T.sign(x3));
  });

  it("takes pytree arguments and returns pytree outputs, zeros for an unused output", () => {
    const affine = customVjp(
      (p: { w: Tensor; b: Tensor }, x: Tensor) =>
        [
          { y: pg.add(pg.mul(p.w, x), p.b), copy: x },
          { p, x },
        ] as const,
      ({ p, x }, g) => [{ w: pg.mul(g.y, x), b: g.y }, pg.mul(g.y, p.w)],
    );
    const p = { w: random([3], 1), b: random([3], 2) };
    const [gp, gx] = grad(
      (p: { w: Tensor; b: Tensor }, x: Tensor) => pg.sum(pg.square(affine(p, x).y)),
      { argnums: [0, 1] },
    )(p, x3);
    const y = T.add(T.mul(p.w, x3), p.b);
    expectClose(gp.w, T.mul(T.mul(y, 2), x3));
    expectClose(gp.b, T.mul(y, 2));
    expectClose(gx, T.mul(T.mul(y, 2), p.w));
  });

  it("reports a backward that returns the wrong number or shape of cotangents", () => {
    const wrongCount = customVjp(
      (a: Tensor, b: Tensor) => [pg.mul(a, b), null] as const,
      (_, g) => [g] as unknown as [Tensor, Tensor],
      { name: "scaled" },
    );
    expect(() => grad((a: Tensor) => pg.sum(wrongCount(a, x3)))(x3)).toThrow(
      "scaled: backward must return an array of 2 cotangent(s), one per argument, got 1",
    );
    const wrongShape = customVjp(
      (a: Tensor) => [pg.sum(a), null] as const,
      (_, g) => [g],
      { name: "total" },
    );
    expect(() => grad((a: Tensor) => wrongShape(a))(x3)).toThrow(
      "total: backward's cotangent for argument 0 is float64 [], but the argument there is float64 [3]",
    );
  });
});

describe("integer tensors", () => {
  it("cannot be differentiated", () => {
    const labels = T.tensor([1, 2], "int32");
    expect(() =>
      grad((p: { labels: Tensor }) => pg.sum(pg.cast(p.labels, "float64")))({ labels }),
    ).toThrow("grad: argument 0 at labels is an int32 Tensor, which is not differentiable");
  });

  it("end differentiation: a cast to int32 carries no gradient", () => {
    const f = (x: Tensor) => pg.sum(pg.mul(pg.cast(pg.cast(x, "int32"), "float64"), x));
    expectClose(grad(f)(T.tensor([1.5, 2.5], "float64")), T.tensor([1, 2], "float64"));
  });
});

describe("bad input", () => {
  it("rejects a non-scalar result, naming its shape", () => {
    expect(() => grad((x: Tensor) => pg.exp(x))(x3)).toThrow(
      "grad: the function's result must be a scalar (shape []), got shape [3]; reduce it (sum, mean) or use vjp for a non-scalar output",
    );
    expect(() => grad((() => 3) as unknown as (x: Tensor) => Tensor)(x3)).toThrow(
      "grad: the function's result must be a scalar Tensor, got a number",
    );
  });

  it("rejects a leaf that is not a tensor, naming its path", () => {
    const params = { layers: [{ W: x3 }, { W: 2 }] } as unknown as { layers: { W: Tensor }[] };
    const f = (p: { layers: { W: Tensor }[] }) => pg.sum(p.layers[0]!.W);
    expect(() => grad(f)(params)).toThrow(
      "grad: argument 0 at layers[1].W is a number, not a Tensor",
    );
    expect(() => valueAndGrad(f)({ layers: [{ W: null }] } as never)).toThrow(
      "valueAndGrad: argument 0 at layers[0].W is null, not a Tensor",
    );
    expect(() => grad((m: Map<string, Tensor>) => pg.sum(m.get("a")!))(new Map())).toThrow(
      "grad: argument 0 is an instance of Map, not a Tensor",
    );
  });

  it("rejects a malformed [value, aux] and bad argnums", () => {
    expect(() =>
      grad((x: Tensor) => [pg.sum(x)] as unknown as [Tensor, null], { hasAux: true })(x3),
    ).toThrow(
      "grad: with hasAux: true the function must return [value, aux], got an array of length 1",
    );
    expect(() => grad((x: Tensor) => pg.sum(x), { argnums: [0, 1] })(x3)).toThrow(
      "grad: argnums [0,1] do not fit a call with 1 argument(s)",
    );
  });

  it("rejects an async function", () => {
    const f = (async (x: Tensor) => pg.sum(x)) as unknown as (x: Tensor) => Tensor;
    expect(() => grad(f)(x3)).toThrow("grad: the function returned a Promise");
  });

  it("rejects a tensor that escaped an ended trace through a closure, naming the op", () => {
    let leaked: Tensor | undefined;
    grad((x: Tensor) => {
      leaked = pg.mul(x, 2);
      return pg.sum(leaked);
    })(x3);
    expect(() => grad((y: Tensor) => pg.sum(pg.mul(y, leaked!)))(x3)).toThrow(
      /^mul: operand 1 \(shape \[3\]\) was computed inside grad trace #\d+, which has ended, and reached this call through a closure/,
    );
    // Outside any trace it is just a value.
    expectClose(pg.add(leaked!, 1), T.add(T.mul(x3, 2), 1));
  });

  it("accepts what a trace returned: its value, aux and gradients", () => {
    const f = (x: Tensor) => {
      const y = pg.exp(x);
      return [pg.sum(y), y] as const;
    };
    const [[value, aux], gradient] = valueAndGrad(f, { hasAux: true })(x3);
    const g = grad((z: Tensor) => pg.sum(pg.mul(pg.mul(z, value), pg.add(aux, gradient))))(x3);
    expectClose(g, T.mul(value, T.add(aux, gradient)));
  });
});
