import type { Engine } from '../../engine/index.js';
import { Router } from './router.js';
import { registerSystemRoutes, type DaemonFacts } from './routes/system-routes.js';
import { registerContainerRoutes } from './routes/container-routes.js';
import { registerExecRoutes } from './routes/exec-routes.js';
import { registerImageRoutes } from './routes/image-routes.js';
import { registerDistributionRoutes } from './routes/distribution-routes.js';
import { registerImageArchiveRoutes } from './routes/image-archive-routes.js';
import { registerDiskUsageRoutes } from './routes/disk-usage-routes.js';
import { registerNetworkRoutes } from './routes/network-routes.js';
import { registerAbsentFeatureRoutes } from './routes/absent-feature-routes.js';

export { ApiServer } from './api-server.js';
export { Router, minApiVersion, maxApiVersion } from './router.js';
export type { DaemonFacts } from './routes/system-routes.js';

export function buildRouter(engine: Engine, facts: DaemonFacts): Router {
  const router = new Router();
  registerSystemRoutes(router, engine, facts);
  registerContainerRoutes(router, engine);
  registerExecRoutes(router, engine);
  registerImageRoutes(router, engine);
  registerDistributionRoutes(router, engine);
  registerImageArchiveRoutes(router, engine);
  registerDiskUsageRoutes(router, engine);
  registerNetworkRoutes(router, engine);
  registerAbsentFeatureRoutes(router);
  return router;
}
