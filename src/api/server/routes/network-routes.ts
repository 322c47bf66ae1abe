/** The networks Berth has today: `host` and `none` (the bridge network comes in a later release). */
import { createHash } from 'node:crypto';
import type { Engine } from '../../../engine/index.js';
import { NotFoundError } from '../../../util/errors.js';
import type { Router } from '../router.js';

const builtin = [
  { name: 'host', driver: 'host' },
  { name: 'none', driver: 'null' },
];

function networkId(name: string): string {
  return createHash('sha256').update(`berth-network-${name}`).digest('hex');
}

function view(engine: Engine, n: { name: string; driver: string }, withContainers: boolean): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  if (withContainers) {
    for (const c of engine.containerStore.all()) {
      if (!c.State.Running || (c.HostConfig.NetworkMode ?? 'none') !== n.name) continue;
      containers[c.Id] = { Name: c.Name.slice(1), EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' };
    }
  }
  return {
    Name: n.name,
    Id: networkId(n.name),
    Created: engine.startedAt.toISOString(),
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: {},
    Labels: {},
  };
}

export function registerNetworkRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/networks', (ctx) => ctx.send(200, builtin.map((n) => view(engine, n, false))));
  router.add('GET', '/networks/{id}', (ctx) => {
    const ref = ctx.params.id!;
    const n = builtin.find((b) => b.name === ref || (ref.length >= 1 && networkId(b.name).startsWith(ref)));
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    ctx.send(200, view(engine, n, true));
  });
}
