// How a process shows it belongs to a stack, once: every child of a service
// carries DEVPORT_KEY and DEVPORT_PROJECT_DIR in its environment (how escaped
// descendants are found, and how a recorded pid proves it is ours), every
// sidecar DEVPORT_SIDECAR and DEVPORT_PROJECT_DIR.

/** The env entries (`NAME=value`) every process of a service's child carries. */
export function serviceMarker(projectDir: string, key: string): string[] {
  return [`DEVPORT_KEY=${key}`, `DEVPORT_PROJECT_DIR=${projectDir}`];
}

/** The environment a sidecar of `key` is started with, on top of its own. */
export function sidecarMarker(projectDir: string, key: string): Record<string, string> {
  return { DEVPORT_SIDECAR: key, DEVPORT_PROJECT_DIR: projectDir };
}
