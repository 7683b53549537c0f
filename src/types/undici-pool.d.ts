// undici's Pool by its own file (src/proxy/forward.ts): the package ships no types for that path.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolImpl: typeof Pool;
  export default PoolImpl;
}
