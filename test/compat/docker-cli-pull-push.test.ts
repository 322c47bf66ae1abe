/**
 * The docker CLI against berthd with registries on 127.0.0.1: `docker login` (POST /auth, then
 * the CLI's own config.json), `docker push`, `docker pull` with its progress lines (plain without
 * a terminal, bars redrawn in place under a pty), `docker pull -a`, `docker push -a`, `docker
 * logout`; and Berth's own CLI drawing bars on a terminal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, dockerCli, repoRoot } from '../helpers/test-daemon.js';
import { startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { makeCa, makeServerCert } from '../helpers/test-pki.js';
import { PtySession } from '../helpers/pty-session.js';

let d: TestDaemon;
let plain: ReferenceRegistry;
let secure: ReferenceRegistry;
let dir: string;

before(async () => {
  dir = mkdtempSync('/var/tmp/berth-docker-pullpush-');
  mkdirSync(join(dir, 'pki'));
  const ca = makeCa(join(dir, 'pki'));
  const cert = makeServerCert(join(dir, 'pki'), ca);
  plain = await startReferenceRegistry({ dir: join(dir, 'plain') });
  secure = await startReferenceRegistry({ dir: join(dir, 'secure'), tls: { certPath: cert.certPath, keyPath: cert.keyPath }, htpasswd: { bob: 'bob-secret' } });
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
  await plain?.stop();
  await secure?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('docker push and docker pull print Docker progress lines', async () => {
  const name = `${plain.host}/compat/busybox`;
  assert.equal((await d.docker(['tag', 'busybox', `${name}:1`])).code, 0);
  const push = await d.docker(['push', `${name}:1`]);
  assert.equal(push.code, 0, push.stderr);
  const lines = push.stdout.trim().split('\n');
  assert.equal(lines[0], `The push refers to repository [${name}]`);
  assert.match(lines[1]!, /^[a-f0-9]{12}: Preparing$/);
  assert.ok(lines.some((l) => /^[a-f0-9]{12}: Pushed$/.test(l)), push.stdout);
  assert.match(lines.at(-1)!, /^1: digest: sha256:[a-f0-9]{64} size: \d+$/);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(push.stdout)![1];

  // Removing both names removes the image (its RepoDigest goes with the last tag of its repository).
  const rmi = await d.docker(['rmi', `${name}:1`, 'busybox']);
  assert.match(rmi.stdout, new RegExp(`Untagged: ${name.replace(/[.:]/g, '\\$&')}@${digest}\n`));
  assert.match(rmi.stdout, /\nDeleted: sha256:[a-f0-9]{64}\n$/);
  const pull = await d.docker(['pull', `${name}:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  const p = pull.stdout.trim().split('\n');
  assert.equal(p[0], '1: Pulling from compat/busybox');
  assert.match(p[1]!, /^[a-f0-9]{12}: Pulling fs layer$/);
  assert.ok(p.some((l) => /^[a-f0-9]{12}: Verifying Checksum$/.test(l)), pull.stdout);
  assert.ok(p.some((l) => /^[a-f0-9]{12}: Download complete$/.test(l)), pull.stdout);
  assert.ok(p.some((l) => /^[a-f0-9]{12}: Pull complete$/.test(l)), pull.stdout);
  assert.deepEqual(p.slice(-3), [`Digest: ${digest}`, `Status: Downloaded newer image for ${name}:1`, `${name}:1`]);
  const again = await d.docker(['pull', `${name}:1`]);
  assert.deepEqual(again.stdout.trim().split('\n'), ['1: Pulling from compat/busybox', `Digest: ${digest}`, `Status: Image is up to date for ${name}:1`, `${name}:1`]);
  const digests = await d.docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}', name]);
  assert.equal(digests.stdout, `${name} 1 ${digest}\n`);
  const run = await d.docker(['run', '--rm', `${name}:1`, 'echo', 'ran']);
  assert.equal(run.stdout, 'ran\n');
});

test('docker pull -a and docker push -a move every tag; docker run pulls a missing image', async () => {
  const name = `${plain.host}/compat/tags`;
  for (const t of ['a', 'b']) assert.equal((await d.docker(['tag', `${plain.host}/compat/busybox:1`, `${name}:${t}`])).code, 0);
  const push = await d.docker(['push', '-a', name]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /\na: digest: sha256:[a-f0-9]{64} size: \d+\n/);
  assert.match(push.stdout, /\nb: digest: sha256:[a-f0-9]{64} size: \d+\n/);
  for (const t of ['a', 'b']) assert.equal((await d.docker(['rmi', `${name}:${t}`])).code, 0);
  const pull = await d.docker(['pull', '-a', name]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /^a: Pulling from compat\/tags$/m);
  assert.match(pull.stdout, /^b: Pulling from compat\/tags$/m);
  assert.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${name.replace(/[.:]/g, '\\$&')}\\n${name.replace(/[.:]/g, '\\$&')}\\n$`));
  const tags = await d.docker(['images', '--format', '{{.Tag}}', name]);
  assert.deepEqual(tags.stdout.trim().split('\n').sort(), ['a', 'b']);

  assert.equal((await d.docker(['rmi', `${name}:a`, `${name}:b`])).code, 0);
  const run = await d.docker(['run', '--rm', `${name}:a`, 'echo', 'pulled by run']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'pulled by run\n');
  assert.match(run.stderr, new RegExp(`^Unable to find image '${name.replace(/[.:]/g, '\\$&')}:a' locally\\na: Pulling from compat/tags\\n`));
});

test('docker login, push and pull with credentials, docker logout', async () => {
  const env = { DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const bad = await d.docker(['login', '-u', 'bob', '--password-stdin', secure.host], { input: 'nope\n' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Error response from daemon: .*(401|unauthorized)/);
  const login = await d.docker(['login', '-u', 'bob', '--password-stdin', secure.host], { input: 'bob-secret\n' });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  const cfg = JSON.parse(readFileSync(join(env.DOCKER_CONFIG, 'config.json'), 'utf8'));
  assert.equal(cfg.auths[secure.host].auth, Buffer.from('bob:bob-secret').toString('base64'));

  const name = `${secure.host}/private/app`;
  assert.equal((await d.docker(['tag', `${plain.host}/compat/busybox:1`, `${name}:v1`])).code, 0);
  const push = await d.docker(['push', `${name}:v1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.equal((await d.docker(['rmi', `${name}:v1`])).code, 0);
  const pull = await d.docker(['pull', `${name}:v1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Status: Downloaded newer image for /);
  const logout = await d.docker(['logout', secure.host]);
  assert.equal(logout.code, 0);
  assert.match(logout.stdout, new RegExp(`Removing login credentials for ${secure.host.replace(/[.:]/g, '\\$&')}`));
  assert.equal((await d.docker(['rmi', `${name}:v1`])).code, 0);
  const refused = await d.docker(['pull', `${name}:v1`]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /no basic auth credentials/);
});

/** The output of a command under a pty, once it has exited. */
async function underPty(argv: string[], cols: number): Promise<{ code: number; out: string }> {
  const pty = new PtySession(argv, { cols, rows: 40, env: { ...process.env, DOCKER_CONFIG: join(d.dir, 'docker-config') } });
  const code = await pty.exited;
  return { code, out: pty.output };
}

test('on a terminal, docker and berth draw each layer on its own line, redrawn in place', async () => {
  const name = `${plain.host}/compat/busybox:1`;
  const id = (await d.docker(['image', 'inspect', '--format', '{{.Id}}', name])).stdout.trim();
  assert.equal((await d.docker(['rmi', '-f', id])).code, 0);
  const docker = await underPty([dockerCli, '-H', d.host, 'pull', name], 150);
  assert.equal(docker.code, 0, docker.out);
  // Cursor up/down around the erased, rewritten layer line.
  assert.match(docker.out, /\x1b\[1A\x1b\[2K\r[a-f0-9]{12}: Pull complete \r?\x1b\[1B/);
  assert.match(docker.out, /Status: Downloaded newer image for /);

  assert.equal((await d.docker(['rmi', '-f', id])).code, 0);
  const berth = await underPty([process.execPath, join(repoRoot, 'dist/src/bin/berth.js'), '-H', d.host, 'pull', name], 150);
  assert.equal(berth.code, 0, berth.out);
  assert.match(berth.out, /\x1b\[1A\x1b\[2K\r[a-f0-9]{12}: Downloading \[=*>\s*\]\s+\S+\/\S+/);
  assert.match(berth.out, /\x1b\[1A\x1b\[2K\r[a-f0-9]{12}: Pull complete \r\x1b\[1B/);
  assert.match(berth.out, /Status: Downloaded newer image for /);
});
