/** Node's `os.arch()` in Go's terms, as Docker reports architectures (`amd64`, `arm64` …). */
import { arch } from 'node:os';

const goArchOf: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function goArch(): string {
  return goArchOf[arch()] ?? arch();
}
