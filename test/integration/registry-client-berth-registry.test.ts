/**
 * The registry client against Berth's own registry server (`berth registry serve`, a real child
 * process on 127.0.0.1): the same suite as against the reference registry, so client and server
 * agree on the protocol (chunked uploads, mounts, HEADs, errors).
 */
import { before, after } from 'node:test';
import { RegistryClient } from '../../src/distribution/client/index.js';
import { removeDir, startRegistry, type RegistryProcess } from '../helpers/registry-process.js';
import { registryClientSuite } from '../helpers/registry-client-suite.js';

let registry: RegistryProcess;
let client: RegistryClient;

before(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ chunkSize: 1024 * 1024, certsDirs: [] });
});

after(async () => {
  client?.close();
  await registry?.stop();
  if (registry) removeDir(registry.root);
});

function countRequests(method: string, pathPrefix: string): number {
  let n = 0;
  for (const line of registry.logs().split('\n')) {
    try {
      const rec = JSON.parse(line) as { msg?: string; method?: string; path?: string };
      if (rec.msg === 'request' && rec.method === method && rec.path?.startsWith(pathPrefix)) n++;
    } catch {
      /* not a log record */
    }
  }
  return n;
}

registryClientSuite('berth registry', { host: () => registry.host, client: () => client, countRequests });
