/** @puregrad/cifar — work in progress. */
export const packageName = "@puregrad/cifar";
export * from "./report/index.js";
