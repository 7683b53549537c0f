// Start order: wave N holds the nodes whose dependencies are all in earlier waves.

export function dependencyWaves(nodes: readonly { key: string; dependsOn: readonly { key: string }[] }[]): string[][] {
  const remaining = new Map(nodes.map((n) => [n.key, new Set(n.dependsOn.map((d) => d.key))]));
  const waves: string[][] = [];
  while (remaining.size > 0) {
    const wave = [...remaining].filter(([, deps]) => [...deps].every((d) => !remaining.has(d))).map(([k]) => k);
    // Cycles are rejected when the spec is loaded; this guards against looping forever anyway.
    const next = wave.length > 0 ? wave : [...remaining.keys()];
    for (const k of next) remaining.delete(k);
    waves.push(next);
  }
  return waves;
}

/** Reverse dependency order, for stopping: dependents before what they depend on. */
export function stopOrder(waves: readonly string[][]): string[][] {
  return [...waves].reverse();
}
