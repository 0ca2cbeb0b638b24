// Helpers for e2e suites: locate binaries, start rollup-node and anvil on free loopback ports,
// wait until they answer JSON-RPC, and stop them. Every process is killed when the test ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..', '..');
export const nodeBin =
  process.env.ROLLUP_NODE_BIN ?? join(repoRoot, 'target', 'release', 'rollup-node');
export const npmBin = (name) => join(repoRoot, 'tests', 'node_modules', '.bin', name);

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export function tempDir(prefix = 'rn-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** JSON-RPC call over HTTP; throws on transport errors, returns the parsed response. */
export async function rpc(url, method, params = [], id = 1) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
  });
  return res.json();
}

/** Poll until `url` answers eth_chainId, or fail after timeoutMs. */
export async function waitForRpc(url, timeoutMs = 15000, proc = null) {
  const start = Date.now();
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    try {
      const r = await rpc(url, 'eth_chainId');
      if (r.result) return Date.now() - start;
    } catch {
      /* not up yet */
    }
    if (Date.now() - start > timeoutMs) throw new Error(`no RPC answer from ${url}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Spawn a process, collecting its output; `stop()` sends SIGTERM and waits. */
export function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Start anvil (the reference node) silent on a free port. */
export async function startAnvil(extraArgs = []) {
  const port = await freePort();
  const p = start(npmBin('anvil'), ['--silent', '--port', String(port), ...extraArgs]);
  const url = `http://127.0.0.1:${port}`;
  await waitForRpc(url, 15000, p.child);
  return { ...p, url, port };
}

/** Start rollup-node with the guide's dev flags on a fresh datadir and a free port. */
export async function startDevNode(extraArgs = [], { datadir = tempDir(), env = {} } = {}) {
  const port = await freePort();
  const args = [
    'node', '--chain', 'dev', '--datadir', datadir, '--test',
    '--sequencer.enabled', '--sequencer.auto-start',
    '--http', '--http.addr', '127.0.0.1', '--http.port', String(port),
    '--http.api', 'admin,debug,eth,net,trace,txpool,web3,rpc,reth,ots,flashbots,miner,mev',
    ...extraArgs,
  ];
  const p = start(nodeBin, args, { env: { ...process.env, ...env } });
  const url = `http://127.0.0.1:${port}`;
  await waitForRpc(url, 15000, p.child);
  return { ...p, url, port, datadir, cleanup: () => rmSync(datadir, { recursive: true, force: true }) };
}
