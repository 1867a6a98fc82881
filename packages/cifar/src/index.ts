/** @puregrad/cifar — work in progress. */
export const packageName = "@puregrad/cifar";
