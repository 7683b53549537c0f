// Kept in step with package.json by test/version.test.ts (reading package.json at startup costs time).
export const VERSION = '0.1.0';
