/** @puregrad/cifar: CIFAR-10 data, experiments and reports for puregrad. */
export * from "./data/index.js";
export * from "./experiments/index.js";
export * from "./report/index.js";
