// The node tree: every process-backed or proxy node with its env prefix and key.
// Route `vite` under proxy `app` → prefix APP_VITE, key app_vite.

import type { ComposeService, ExecRoute, ExecService, ProxyService, TaskService } from './model.js';
import type { Path } from './positions.js';

export type NodeSpec = ExecService | TaskService | ProxyService | ComposeService | ExecRoute;

export interface TreeNode {
  key: string;
  prefix: string;
  /** The name as written; unnamed proxies get their key. */
  name: string;
  kind: 'exec' | 'task' | 'proxy' | 'compose';
  spec: NodeSpec;
  /** The proxy of a route. */
  parent: TreeNode | undefined;
  path: Path;
}

export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export function buildTree(services: readonly (ExecService | TaskService | ProxyService | ComposeService)[]): TreeNode[] {
  const nodes: TreeNode[] = [];
  let unnamed = 0;
  for (const svc of services) {
    if (svc.type === 'proxy') {
      const named = svc.name !== undefined && svc.name !== '';
      const prefix = named ? envPrefix(svc.name ?? '') : `_PROXY${unnamed++}`;
      const proxy: TreeNode = {
        key: prefix.toLowerCase(),
        prefix,
        name: named ? (svc.name ?? '') : prefix.toLowerCase(),
        kind: 'proxy',
        spec: svc,
        parent: undefined,
        path: svc.path,
      };
      nodes.push(proxy);
      for (const route of svc.routes) {
        if (route.type !== 'exec' || route.name === undefined) continue;
        const own = envPrefix(route.name);
        const rprefix = named ? `${prefix}_${own}` : own;
        nodes.push({ key: rprefix.toLowerCase(), prefix: rprefix, name: route.name, kind: 'exec', spec: route, parent: proxy, path: route.path });
      }
    } else {
      const prefix = envPrefix(svc.name);
      nodes.push({ key: prefix.toLowerCase(), prefix, name: svc.name, kind: svc.type, spec: svc, parent: undefined, path: svc.path });
    }
  }
  return nodes;
}
