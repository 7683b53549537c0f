// compose.yaml / docker-compose.yml: one `type = "compose"` node per compose
// service, so each has its own port (<NAME>_PORT), health and dependencies.
// Compose keeps doing what it does (images, builds, volumes, healthchecks):
// only what devport needs to know is read here.

import path from 'node:path';
import { composeFiles, readComposeServices } from '../compose/file.js';
import { MAX_DURATION_MS, parseDuration } from '../spec/duration.js';
import { validPort } from './ports.js';
import { isMap, parseYaml, readSource } from './read.js';
import { untranslated, type DraftCondition, type DraftService, type Translation } from './types.js';

const CONDITIONS: Record<string, DraftCondition | undefined> = { service_healthy: 'healthy', service_started: 'started' };

/** The container port of one `ports` entry: 3000, "8080:80", "127.0.0.1:5432:5432/tcp", {target: 80}. */
export function containerPort(entry: unknown): { port?: number; why?: string } {
  if (isMap(entry)) {
    if (entry.protocol === 'udp') return { why: 'a udp port' };
    return validPort(entry.target) !== undefined ? { port: validPort(entry.target) } : { why: `no container port: ${JSON.stringify(entry)}` };
  }
  const text = String(entry);
  const [spec, proto] = text.split('/');
  if (proto === 'udp') return { why: 'a udp port' };
  const target = (spec ?? '').split(':').at(-1) ?? '';
  const range = /^(\d+)-(\d+)$/.exec(target);
  if (range) return { port: validPort(range[1]), why: `a range of container ports: ${target}; the first is devport's` };
  const port = validPort(target);
  return port !== undefined ? { port } : { why: `no container port devport can read in "${text}"` };
}

/** Services of the file and its override, merged as compose does for the keys read here. */
function mergedServices(dir: string, files: readonly string[], t: Translation): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const abs of files) {
    const file = path.relative(dir, abs);
    const read = readSource(dir, file);
    if (!read) continue;
    const doc = read.ok ? parseYaml(read.text) : read;
    if (!doc.ok) {
      t.untranslated.push(untranslated(file, '', doc.why));
      continue;
    }
    if (!isMap(doc.value) || !isMap(doc.value.services)) continue;
    for (const [name, svc] of Object.entries(doc.value.services)) {
      if (!isMap(svc)) continue;
      const prev = out.get(name) ?? {};
      const ports = [...(Array.isArray(prev.ports) ? prev.ports : []), ...(Array.isArray(svc.ports) ? svc.ports : [])];
      out.set(name, { ...prev, ...svc, ...(ports.length > 0 ? { ports } : {}) });
    }
  }
  return out;
}

export function readCompose(dir: string): Translation | undefined {
  const files = composeFiles(dir, dir, undefined);
  if (!files?.[0]) return undefined;
  const file = path.relative(dir, files[0]);
  const t: Translation = { file, services: [], untranslated: [] };
  const services = mergedServices(dir, files, t);
  if (services.size === 0 && t.untranslated.length === 0) t.untranslated.push(untranslated(file, 'services', 'no services to translate'));
  // A service another waits on to complete runs once: as a node it would be "exited", never healthy.
  const oneShot = new Map<string, string>();
  for (const [name, svc] of services) {
    for (const [dep, c] of isMap(svc.depends_on) ? Object.entries(svc.depends_on) : []) {
      if (isMap(c) && c.condition === 'service_completed_successfully' && !oneShot.has(dep)) oneShot.set(dep, name);
    }
  }
  // What devport's own reader sees (src/compose/file.ts) is what `up` checks `services` against.
  const seen = readComposeServices(files);
  const added = new Set<string>();
  for (const [name, svc] of services) {
    const at = `services.${name}`;
    const note = (key: string, why: string) => t.untranslated.push(untranslated(file, key ? `${at}.${key}` : at, why));
    if (seen.ok && !seen.services.has(name)) {
      note('', "devport's compose reader does not see this service (a merge key, flow style?); not added");
      continue;
    }
    const waiter = oneShot.get(name);
    if (waiter !== undefined) {
      note('', `runs once (${waiter} waits for it to complete): compose runs it when it starts ${waiter}; not a node, which must keep running`);
      continue;
    }
    const profiles = Array.isArray(svc.profiles) ? svc.profiles.map(String) : [];
    if (profiles.length > 0) {
      note('profiles', `started only with profile ${profiles.map((p) => `"${p}"`).join(' or ')}; not added (a node naming it would always start it)`);
      continue;
    }
    added.add(name);
    const image = typeof svc.image === 'string' ? svc.image : undefined;
    const s: DraftService = { name, from: `${file} ${at}`, type: 'compose', composeServices: [name], notes: [] };
    if (image) s.original = `image ${image}`;
    s.notes?.push(isMap(svc.healthcheck) && svc.healthcheck.disable !== true ? 'healthy when its healthcheck passes' : 'no healthcheck: healthy once running');
    const ports = Array.isArray(svc.ports) ? svc.ports : [];
    ports.forEach((entry, i) => {
      const c = containerPort(entry);
      if (s.port === undefined && c.port !== undefined) {
        s.port = c.port;
        s.portNote = 'the container port; devport publishes it on its own host port';
        if (c.why) note(`ports[${i}]`, c.why);
      } else if (c.why) note(`ports[${i}]`, c.why);
      else note(`ports[${i}]`, "published as the file says; the node's <NAME>_PORT is its first port only");
    });
    if (svc.build !== undefined) {
      note('build', 'compose builds the image when it is missing; devport does not rebuild it on a change (`docker compose build`)');
    }
    const stop = typeof svc.stop_grace_period === 'string' ? svc.stop_grace_period : undefined;
    if (stop !== undefined) {
      const ms = parseDuration(stop);
      if (ms !== undefined && ms <= MAX_DURATION_MS) s.stopTimeout = stop;
      else note('stop_grace_period', `not a duration devport takes: "${stop}"`);
    }
    const replicas = isMap(svc.deploy) ? svc.deploy.replicas : svc.scale;
    if (typeof replicas === 'number' && replicas !== 1) note(isMap(svc.deploy) ? 'deploy.replicas' : 'scale', 'devport publishes one container per node');
    if (isMap(svc.develop)) note('develop', 'compose watch is not run: devport watches the processes it runs itself');
    s.dependsOn = dependencies(svc.depends_on, oneShot, note);
    t.services.push(s);
  }
  // A dependency on a service that was not added (a profile, a one-shot) cannot be written.
  for (const s of t.services) {
    s.dependsOn = s.dependsOn?.filter((d) => {
      if (added.has(d.name)) return true;
      if (oneShot.has(d.name)) return false;
      t.untranslated.push(untranslated(file, `services.${s.name}.depends_on.${d.name}`, `"${d.name}" is not a node; compose still starts it with "${s.name}"`));
      return false;
    });
  }
  return t;
}

function dependencies(deps: unknown, oneShot: Map<string, string>, note: (key: string, why: string) => void): { name: string; condition: DraftCondition }[] {
  const entries: [string, unknown][] = Array.isArray(deps) ? deps.map((d) => [String(d), {}]) : isMap(deps) ? Object.entries(deps) : [];
  const out: { name: string; condition: DraftCondition }[] = [];
  for (const [dep, c] of entries) {
    const cond = isMap(c) && typeof c.condition === 'string' ? c.condition : 'service_started';
    const mapped = CONDITIONS[cond];
    if (mapped) out.push({ name: dep, condition: mapped });
    else if (oneShot.has(dep)) continue; // said once, at the one-shot service
    else note(`depends_on.${dep}`, `${cond}: only devport tasks complete; compose itself waits for it when it starts this service`);
  }
  return out;
}
