/** @puregrad/tensor — work in progress. */
export const packageName = "@puregrad/tensor";
