// A compose node's part of the plan: its project, files, services, published
// port and kind of health. Reads the compose file (src/compose/file.ts) but
// runs nothing: `up --dry-run` shows it without Docker.

import path from 'node:path';
import type { PlanCompose } from '../plan/types.js';
import type { ComposeService } from '../spec/model.js';
import { composeFiles, publishesStackPort, readComposeServices, selectServices } from './file.js';
import { composeProjectName } from './project.js';

export interface ComposeNodeContext {
  specDir: string;
  isolationId: string;
  /** The node's env prefix (DB → DB_PORT). */
  prefix: string;
  /** `up --profile`: added to every compose node's profiles. */
  extraProfiles?: readonly string[] | undefined;
}

export function planCompose(s: ComposeService, ctx: ComposeNodeContext): PlanCompose {
  const cwd = path.resolve(ctx.specDir, s.cwd);
  // The spec's check reports a missing file; a plan made anyway points at the first default name.
  const files = composeFiles(ctx.specDir, cwd, s.file) ?? [path.join(cwd, 'compose.yaml')];
  const profiles = [...new Set([...s.profiles, ...(ctx.extraProfiles ?? [])])];
  const read = readComposeServices(files);
  const services = selectServices(s.name, s.services, profiles, read);
  const primary = services[0];
  const containerPort = s.port ?? null;
  const selfPublished = read.ok && primary !== undefined && publishesStackPort(read.services.get(primary), ctx.prefix);
  const h = s.health.type;
  return {
    project: composeProjectName(ctx.specDir, ctx.isolationId),
    files,
    services,
    profiles,
    containerPort,
    override: containerPort !== null && !selfPublished,
    health: h === undefined ? 'container' : h === 'none' ? 'running' : 'devport',
  };
}
