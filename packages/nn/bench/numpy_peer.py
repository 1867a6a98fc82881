"""numpy peer of the training-epoch bench: the same models trained by hand-written forward and
backward passes, single-threaded BLAS (the parent sets OPENBLAS_NUM_THREADS=1 and friends).

Talks JSON lines on stdin/stdout with bench/numpy.mjs:
  {"op": "load", "inputs": path, "rows": n, "features": d, "labels": {"bench": path, "check": path}}
  {"op": "setup", "id": id, "dtype": "float32" | "float64", "data": "bench" | "check", "samples": n,
   "batchSize": b, "spec": {...}, "params": [{"W": {"shape", "data"}, "b": ..., ...}]}
  {"op": "run", "id": id, "startBatch": i, "steps": k}  ->  {"seconds": s, "costs": [...]}
  {"op": "dispose", "id": id}
Every reply is one JSON object; failures reply {"error": message}.
"""

import json
import sys
import time
import traceback

try:
    import numpy as np
except ImportError as error:  # the parent prints this and skips the numpy columns
    print(json.dumps({"error": f"numpy is not installed ({error})"}), flush=True)
    sys.exit(0)


class Model:
    """An MLP (W [out, in], as puregrad stores it) with its optimizer state, trained in place."""

    def __init__(self, spec, params, dtype):
        self.spec = spec
        self.dtype = dtype
        self.layers = [
            {name: np.array(value["data"], dtype=dtype).reshape(value["shape"]) for name, value in layer.items()}
            for layer in params
        ]
        self.rho = spec["optimizer"].get("rho", 0)
        self.velocities = [{name: np.zeros_like(v) for name, v in layer.items()} for layer in self.layers]
        self.averages = [
            {"mean": np.zeros(size, dtype), "variance": np.ones(size, dtype), "count": 0}
            for size in spec["hiddenSizes"]
        ]

    def step(self, inputs, labels):
        """One training step on a batch; returns the cost before the update."""
        spec = self.spec
        n = inputs.shape[0]
        rows = np.arange(n)
        caches = []
        activations = inputs
        for layer, averages in zip(self.layers[:-1], self.averages):
            s = activations @ layer["W"].T + layer["b"]
            cache = {"inputs": activations}
            if spec["batchNorm"]:
                mean = s.mean(axis=0)
                centered = s - mean
                variance = (centered * centered).mean(axis=0)
                inverse_std = 1 / np.sqrt(variance + spec["batchNormEpsilon"])
                normalized = centered * inverse_std
                self.update_averages(averages, mean, variance)
                cache.update(normalized=normalized, inverse_std=inverse_std)
                s = normalized * layer["gamma"] + layer["beta"]
            cache["active"] = s > 0
            activations = np.maximum(s, 0)
            caches.append(cache)
        last = self.layers[-1]
        logits = activations @ last["W"].T + last["b"]

        shifted = logits - logits.max(axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        sums = exponentials.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(sums[:, 0]) - shifted[rows, labels])
        l2 = spec["l2Regularization"]
        cost = loss + l2 * sum(np.sum(layer["W"] * layer["W"]) for layer in self.layers)

        # Backward: G = (softmax − onehot) / n, then dW = Gᵀ·X, db = Σ G, dX = G·W per layer.
        gradient = exponentials / sums
        gradient[rows, labels] -= 1
        gradient /= n
        grads = [None] * len(self.layers)
        grads[-1] = {"W": gradient.T @ activations + 2 * l2 * last["W"], "b": gradient.sum(axis=0)}
        for index in range(len(self.layers) - 2, -1, -1):
            layer, cache = self.layers[index], caches[index]
            upstream = gradient @ self.layers[index + 1]["W"]
            upstream *= cache["active"]
            grads[index] = {}
            if spec["batchNorm"]:
                normalized = cache["normalized"]
                grads[index]["gamma"] = (upstream * normalized).sum(axis=0)
                grads[index]["beta"] = upstream.sum(axis=0)
                dn = upstream * layer["gamma"]
                upstream = cache["inverse_std"] * (
                    dn - dn.mean(axis=0) - normalized * (dn * normalized).mean(axis=0)
                )
            grads[index]["W"] = upstream.T @ cache["inputs"] + 2 * l2 * layer["W"]
            grads[index]["b"] = upstream.sum(axis=0)
            gradient = upstream

        learning_rate = spec["optimizer"]["learningRate"]
        for layer, layer_grads, velocities in zip(self.layers, grads, self.velocities):
            for name, value in layer.items():
                if self.rho > 0:  # the course's momentum: v ← ρv + ηg, θ ← θ − v
                    velocity = velocities[name]
                    velocity *= self.rho
                    velocity += learning_rate * layer_grads[name]
                    value -= velocity
                else:
                    value -= learning_rate * layer_grads[name]
        return float(cost)

    def update_averages(self, averages, mean, variance):
        if averages["count"] == 0:
            averages["mean"], averages["variance"] = mean, variance
        else:
            alpha = self.spec["batchNormMomentum"]
            averages["mean"] = alpha * averages["mean"] + (1 - alpha) * mean
            averages["variance"] = alpha * averages["variance"] + (1 - alpha) * variance
        averages["count"] += 1


def main():
    data = {}
    runners = {}
    print(json.dumps({"ready": f"numpy {np.__version__}"}), flush=True)
    for line in sys.stdin:
        message = json.loads(line)
        try:
            op = message["op"]
            if op == "load":
                inputs = np.fromfile(message["inputs"], dtype=np.float32)
                data = {
                    "inputs": {"float32": inputs.reshape(message["rows"], message["features"])},
                    "labels": {name: np.fromfile(path, dtype=np.int32) for name, path in message["labels"].items()},
                }
                reply = {"ok": True}
            elif op == "setup":
                dtype = message["dtype"]
                by_dtype = data["inputs"]
                if dtype not in by_dtype:
                    by_dtype[dtype] = by_dtype["float32"].astype(dtype)
                runners[message["id"]] = {
                    "model": Model(message["spec"], message["params"], np.dtype(dtype)),
                    "inputs": by_dtype[dtype],
                    "labels": data["labels"][message["data"]],
                    "samples": message["samples"],
                    "batchSize": message["batchSize"],
                }
                reply = {"ok": True}
            elif op == "run":
                reply = run(runners[message["id"]], message["startBatch"], message["steps"])
            elif op == "dispose":
                del runners[message["id"]]
                reply = {"ok": True}
            else:
                reply = {"error": f"unknown op {op!r}"}
        except Exception:  # reported to the parent, which stops the bench with it
            reply = {"error": traceback.format_exc()}
        print(json.dumps(reply), flush=True)


def run(runner, start_batch, steps):
    batch_size, samples = runner["batchSize"], runner["samples"]
    batches = -(-samples // batch_size)
    model, inputs, labels = runner["model"], runner["inputs"], runner["labels"]
    costs = []
    start = time.perf_counter()
    for step in range(steps):
        first = ((start_batch + step) % batches) * batch_size
        last = min(first + batch_size, samples)
        costs.append(model.step(inputs[first:last], labels[first:last]))
    return {"seconds": time.perf_counter() - start, "costs": costs}


if __name__ == "__main__":
    main()
