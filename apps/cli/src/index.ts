/** @puregrad/cli — work in progress. */
export const packageName = "@puregrad/cli";
