/**
 * Endpoints of features Berth does not have, answered as a Docker node without them answers,
 * so clients degrade gracefully instead of failing on a 404 they do not expect.
 */
import type { Router } from '../router.js';
import { NotFoundError, NotImplementedError, UnavailableError } from '../../../util/errors.js';

const notSwarmManager =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

export function registerAbsentFeatureRoutes(router: Router): void {
  const swarmOnly = () => {
    throw new UnavailableError(notSwarmManager);
  };
  for (const path of ['/swarm', '/swarm/unlockkey', '/nodes', '/services', '/tasks', '/secrets', '/configs']) {
    router.add('GET', path, swarmOnly);
  }
  for (const path of ['/nodes/{id}', '/services/{id}', '/services/{id}/logs', '/tasks/{id}', '/tasks/{id}/logs', '/secrets/{id}', '/configs/{id}']) {
    router.add('GET', path, swarmOnly);
  }
  for (const path of ['/swarm/leave', '/swarm/update', '/swarm/unlock', '/services/create', '/services/{id}/update', '/secrets/create', '/configs/create']) {
    router.add('POST', path, swarmOnly);
  }
  for (const path of ['/services/{id}', '/secrets/{id}', '/configs/{id}', '/nodes/{id}']) router.add('DELETE', path, swarmOnly);
  router.add('POST', '/swarm/init', () => {
    throw new NotImplementedError('Berth does not support swarm mode');
  });
  router.add('POST', '/swarm/join', () => {
    throw new NotImplementedError('Berth does not support swarm mode');
  });

  // No plugins are installed, and none can be.
  router.add('GET', '/plugins', (ctx) => ctx.send(200, []));
  router.add('GET', '/plugins/{name*}/json', (ctx) => {
    throw new NotFoundError(`plugin "${ctx.params.name}" not found`);
  });
  router.add('GET', '/plugins/privileges', () => {
    throw new NotImplementedError('Berth does not support plugins');
  });
  router.add('POST', '/plugins/pull', () => {
    throw new NotImplementedError('Berth does not support plugins');
  });

  const later = (what: string) => () => {
    throw new NotImplementedError(`${what} is not supported by this version of Berth yet`);
  };
  router.add('POST', '/build', later('building images'));
  router.add('POST', '/build/prune', later('the build cache'));
  router.add('POST', '/session', later('BuildKit sessions'));
  router.add('POST', '/grpc', later('BuildKit'));
  router.add('POST', '/commit', later('committing containers'));
  router.add('GET', '/containers/{id}/stats', later('container stats'));
  router.add('GET', '/containers/{id}/changes', later('container filesystem changes'));
  router.add('GET', '/containers/{id}/export', later('exporting containers'));
  router.add('GET', '/containers/{id}/archive', later('copying files from containers'));
  router.add('HEAD', '/containers/{id}/archive', later('copying files from containers'));
  router.add('PUT', '/containers/{id}/archive', later('copying files into containers'));
  router.add('POST', '/containers/{id}/update', later('updating container resources'));
  router.add('GET', '/images/search', later('searching registries'));
  router.add('GET', '/volumes', (ctx) => ctx.send(200, { Volumes: [], Warnings: null }));
  router.add('POST', '/volumes/create', later('named volumes'));
  router.add('POST', '/volumes/prune', (ctx) => ctx.send(200, { VolumesDeleted: [], SpaceReclaimed: 0 }));
  router.add('GET', '/volumes/{name}', (ctx) => {
    throw new NotFoundError(`get ${ctx.params.name}: no such volume`);
  });
  router.add('POST', '/networks/create', later('user-defined networks'));
  router.add('POST', '/networks/prune', (ctx) => ctx.send(200, { NetworksDeleted: [] }));
}
