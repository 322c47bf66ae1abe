import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/client/index.js';
import { FakeConn, frame, runCli, stdinOf } from '../test-support.js';

const ID = 'a'.repeat(64);

/** A daemon whose container prints and exits with `code` once started. */
function daemon(opts: { tty?: boolean; code?: number; createError?: ApiError[]; startError?: ApiError; hang?: boolean } = {}) {
  const conns: FakeConn[] = [];
  let finishWait: ((code: number) => void) | null = null;
  const createErrors = [...(opts.createError ?? [])];
  return {
    conns,
    finish: (code: number) => finishWait?.(code),
    client: {
      containerCreate: async () => {
        const e = createErrors.shift();
        if (e) throw e;
        return { Id: ID, Warnings: ['something to know'] };
      },
      containerAttach: async () => {
        const c = new FakeConn(!!opts.tty);
        conns.push(c);
        return c;
      },
      containerWait: async () => ({ result: new Promise((r) => (finishWait = (code) => r({ StatusCode: code, Error: null }))) }),
      containerStart: async () => {
        if (opts.startError) throw opts.startError;
        if (opts.hang) return true;
        setTimeout(() => {
          for (const c of conns) {
            c.output(opts.tty ? 'tty out\r\n' : Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]));
            c.endOutput();
          }
          setTimeout(() => finishWait?.(opts.code ?? 0), 5);
        }, 5);
        return true;
      },
      containerKill: async () => undefined,
      imagePull: async function* () {
        yield { status: 'Pulling from library/nothing', id: 'latest' };
        throw new ApiError(501, 'pulling images is not supported yet');
      },
    },
  };
}

test('run attaches before start, waits for next-exit, streams and exits with the code', async () => {
  const d = daemon({ code: 3 });
  const r = await runCli(['run', '--name', 'x', 'busybox', 'sh', '-c', 'echo hi'], { client: d.client });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'WARNING: something to know\nerr\n');
  assert.deepEqual(
    r.calls.map((c) => c[0]),
    ['containerCreate', 'containerAttach', 'containerWait', 'containerStart'],
  );
  assert.deepEqual(r.calls[0]![2], { name: 'x' });
  assert.deepEqual((r.calls[0]![1] as { Cmd: string[] }).Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(r.calls[1]![2], { stream: true, stdin: false, stdout: true, stderr: true });
  assert.deepEqual(r.calls.find((c) => c[0] === 'containerWait')!.slice(1), [ID, 'next-exit']);
  // Without stdin the write side is closed at once, as docker does.
  assert.equal(d.conns[0]!.inputEnded, true);
});

test('run -i sends stdin and half-closes at its end', async () => {
  const d = daemon();
  const r = await runCli(['run', '-i', 'busybox', 'cat'], { client: d.client, stdin: stdinOf('some input\n') });
  assert.equal(r.code, 0);
  assert.equal(d.conns[0]!.inputText, 'some input\n');
  assert.equal(d.conns[0]!.inputEnded, true);
  assert.deepEqual(r.calls[1]![2], { stream: true, stdin: true, stdout: true, stderr: true });
});

test('run with --rm waits for removal', async () => {
  const d = daemon();
  const r = await runCli(['run', '--rm', 'busybox'], { client: d.client });
  assert.equal(r.code, 0);
  assert.deepEqual(r.calls.find((c) => c[0] === 'containerWait')!.slice(1), [ID, 'removed']);
});

test('run -d prints the full id and does not attach', async () => {
  const d = daemon({ hang: true });
  const r = await runCli(['run', '-d', 'busybox', 'sleep', '100'], { client: d.client });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${ID}\n`);
  assert.deepEqual(
    r.calls.map((c) => c[0]),
    ['containerCreate', 'containerWait', 'containerStart'],
  );
  const body = r.calls[0]![1] as Record<string, unknown>;
  assert.equal(body.AttachStdout, false);
  assert.equal(body.StdinOnce, false);
});

test('run -t -i without a terminal is refused', async () => {
  const r = await runCli(['run', '-it', 'busybox'], { client: daemon().client });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'the input device is not a TTY\n');
});

test('a missing image is pulled (and a failed pull reported, exit 125)', async () => {
  const d = daemon({ createError: [new ApiError(404, 'No such image: nothing:latest')] });
  const r = await runCli(['run', 'nothing'], { client: d.client });
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "Unable to find image 'nothing:latest' locally\nlatest: Pulling from library/nothing\nberth: Error response from daemon: pulling images is not supported yet\n\nRun 'berth run --help' for more information\n");
  assert.deepEqual(r.calls[1]!.slice(0, 2), ['imagePull', 'nothing']);
});

test('--pull never does not pull', async () => {
  const d = daemon({ createError: [new ApiError(404, 'No such image: nothing:latest')] });
  const r = await runCli(['create', '--pull', 'never', 'nothing'], { client: d.client });
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "berth: Error response from daemon: No such image: nothing:latest\n\nRun 'berth create --help' for more information\n");
});

test('start failures map to 127, 126 and 125 as docker does', async () => {
  for (const [msg, code] of [
    ['failed to create task: exec: "nope": executable file not found in $PATH', 127],
    ['exec /etc: permission denied', 126],
    ['cgroup trouble', 125],
  ] as const) {
    const d = daemon({ startError: new ApiError(400, msg) });
    const r = await runCli(['run', 'busybox', 'nope'], { client: d.client });
    assert.equal(r.code, code, msg);
    assert.equal(r.stderr, `WARNING: something to know\nberth: Error response from daemon: ${msg}\n\nRun 'berth run --help' for more information\n`);
  }
});

test('flag errors in run exit 125', async () => {
  const r = await runCli(['run', '--cpus', 'lots', 'busybox']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^invalid argument "lots" for "--cpus" flag: failed to parse lots as a rational number\n\nUsage: {2}berth run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n/);
  const c = await runCli(['run', '--restart', 'always', '--rm', 'busybox']);
  assert.equal(c.code, 125);
  assert.equal(c.stderr, "berth: conflicting options: cannot specify both --restart and --rm\n\nRun 'berth run --help' for more information\n");
});

test('signals are proxied to the container while attached', async () => {
  const d = daemon({ hang: true });
  let h: import('../test-support.js').Harness | undefined;
  const p = runCli(['run', 'busybox', 'sleep', '100'], { client: d.client, onStart: (x) => (h = x) });
  await new Promise((r) => setTimeout(r, 30));
  for (const fn of h!.signals.get('SIGINT') ?? []) fn();
  await new Promise((r) => setTimeout(r, 10));
  d.conns[0]!.endOutput();
  d.finish(130);
  const r = await p;
  assert.equal(r.code, 130);
  const kill = r.calls.find((c) => c[0] === 'containerKill');
  assert.deepEqual(kill, ['containerKill', ID, 'INT']);
});

test('create prints the id', async () => {
  const d = daemon();
  const r = await runCli(['create', '-t', 'busybox'], { client: d.client });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${ID}\n`);
  assert.equal((r.calls[0]![1] as { Tty: boolean }).Tty, true);
});

test('run with a TTY copies raw output and detaches on ctrl-p ctrl-q', async () => {
  const d = daemon({ tty: true, hang: true });
  const stdin = stdinOf(null) as import('../context.js').InputStream & { write(s: string): void };
  stdin.isTTY = true;
  let raw: boolean[] = [];
  stdin.setRawMode = (m: boolean) => raw.push(m);
  const p = runCli(['run', '-it', 'busybox', 'sh'], { client: d.client, stdin });
  await new Promise((r) => setTimeout(r, 30));
  d.conns[0]!.output('$ ');
  await new Promise((r) => setTimeout(r, 10));
  stdin.write('ls\r');
  stdin.write('\x10');
  stdin.write('\x11');
  const r = await p;
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '$ ');
  assert.equal(d.conns[0]!.inputText, 'ls\r');
  assert.equal(d.conns[0]!.closed, true);
  assert.deepEqual(raw, [true, false]);
});
