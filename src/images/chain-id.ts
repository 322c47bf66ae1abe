/** Chain ids identify a stack of layers (OCI image spec, "Layer ChainID"). */
import { sha256Digest, type Digest } from '../util/digest.js';

export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256Digest(`${prev} ${d}`));
  }
  return out;
}
