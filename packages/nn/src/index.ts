/** @puregrad/nn — work in progress. */
export const packageName = "@puregrad/nn";
