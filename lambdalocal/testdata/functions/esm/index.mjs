// esm is a test function written as an ES module.
export const handler = async (event) => ({ esm: true, event });
