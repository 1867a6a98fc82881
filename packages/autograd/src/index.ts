/** @puregrad/autograd — work in progress. */
export const packageName = "@puregrad/autograd";
