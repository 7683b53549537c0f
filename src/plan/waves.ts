// Start order: wave N holds the nodes whose dependencies are all in earlier waves.

export function dependencyWaves(nodes: readonly { key: string; dependsOn: readonly { key: string }[] }[]): string[][] {
  // Longest-path layering (Kahn's algorithm by levels): O(nodes + edges). A dependency
  // outside `nodes` counts as met; nodes in input order within a wave.
  const index = new Map(nodes.map((n, i) => [n.key, i]));
  const waiting = nodes.map(() => 0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const d of new Set(n.dependsOn.map((x) => x.key))) {
      const j = index.get(d);
      if (j === undefined) continue;
      waiting[i] = (waiting[i] ?? 0) + 1;
      dependents[j]?.push(i);
    }
  });
  const waves: string[][] = [];
  const placed = nodes.map(() => false);
  let current = nodes.flatMap((_, i) => (waiting[i] === 0 ? [i] : []));
  let count = 0;
  while (current.length > 0) {
    current.sort((a, b) => a - b);
    waves.push(current.map((i) => nodes[i]?.key ?? ''));
    const next: number[] = [];
    for (const i of current) {
      placed[i] = true;
      count++;
      for (const j of dependents[i] ?? []) if ((waiting[j] = (waiting[j] ?? 0) - 1) === 0) next.push(j);
    }
    current = next;
  }
  // Cycles are rejected when the spec is loaded; whatever a cycle holds back starts last, together.
  if (count < nodes.length) waves.push(nodes.flatMap((n, i) => (placed[i] ? [] : [n.key])));
  return waves;
}

/** Reverse dependency order, for stopping: dependents before what they depend on. */
export function stopOrder(waves: readonly string[][]): string[][] {
  return [...waves].reverse();
}
