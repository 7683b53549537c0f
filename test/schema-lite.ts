// The tests hold real files to the published schemas with the checker devport itself uses.
export { checkJson as check } from '../src/util/json-check.js';
