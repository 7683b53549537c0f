// The dashboard node's names, in a module of their own: the planner, `up`'s
// summary and `devport dashboard --url` need them without the server.

/** The dashboard's key: `_` like an unnamed proxy's (`_proxy0`). */
export const DASHBOARD_KEY = '_dashboard';

/** Beside its state.json, mode 0600: the token that opens the dashboard. */
export const TOKEN_FILE = 'token';
