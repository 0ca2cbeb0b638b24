// Helpers for suites that drive a running dev sequencer: start it with the guide's dev command
// (temp datadir, free port, short block time), strict JSON-RPC calls, receipts, the dev accounts,
// and compiling Solidity with solcjs against the pinned OpenZeppelin contracts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort, nodeBin, repoRoot, start, tempDir, waitForRpc } from './procs.mjs';

export const CHAIN_ID = 1337;
export const FEE_VAULT = '0x5300000000000000000000000000000000000005';
export const DEV_BASE_FEE = 15_680_000n;
export const GENESIS_BALANCE = 1_000_000n * 10n ** 18n;
export const MNEMONIC = 'test test test test test test test test test test test junk';

// The Hardhat/anvil accounts of the test mnemonic, funded in the dev genesis (SCROLL.md §14).
export const DEV_ADDRESSES = [
  '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65', '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
  '0x976EA74026E726554dB657fA54763abd0C3a0aa9', '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
  '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f', '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720',
  '0xBcd4042DE499D14e55001CcbB24a551F3b954096', '0x71bE63f3384f5fb98995898A86B02Fb2426c5788',
  '0xFABB0ac9d68B0B445fB7357272Ff202C5651694a', '0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec',
  '0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097', '0xcd3B766CCDd6AE721141F452C550Ca635964ce71',
  '0x2546BcD3c84621e976D8185a91A922aE77ECEc30', '0xbDA5747bFD65F08deb54cb465eB87D40e51B197E',
  '0xdD2FD4581271e230360230F9337D5c0430Bf44C0', '0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199',
];

/** Private keys of the dev accounts (index i ↔ DEV_ADDRESSES[i]), derived once with ethers. */
let keysCache = null;
export async function devKeys() {
  if (keysCache) return keysCache;
  const { HDNodeWallet, Mnemonic } = await import('ethers');
  const root = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), "m/44'/60'/0'/0");
  keysCache = DEV_ADDRESSES.map((addr, i) => {
    const w = root.deriveChild(i);
    if (w.address !== addr) throw new Error(`derived ${w.address} for account ${i}, not ${addr}`);
    return w.privateKey;
  });
  return keysCache;
}

/** An error carrying the JSON-RPC error object of a failed call. */
export class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: ${error.code} ${error.message}`);
    this.method = method;
    this.code = error.code;
    this.data = error.data;
    this.rpcMessage = error.message;
  }
}

let nextId = 1;
/** POST a raw body; returns { status, body (parsed JSON or null), text }. */
export async function postRaw(url, body, headers = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* left null: the caller asserts */
  }
  return { status: res.status, body: parsed, text };
}

/** The full JSON-RPC response object ({jsonrpc, id, result|error}); checks the envelope. */
export async function rpcRaw(url, method, params = []) {
  const id = nextId++;
  const r = await postRaw(url, JSON.stringify({ jsonrpc: '2.0', id, method, params }));
  if (!r.body) throw new Error(`${method}: response is not JSON (HTTP ${r.status}): ${r.text}`);
  if (r.body.jsonrpc !== '2.0' || r.body.id !== id)
    throw new Error(`${method}: bad envelope ${r.text}`);
  return r.body;
}

/** `result` of a call, or throws RpcError. */
export async function call(url, method, params = []) {
  const r = await rpcRaw(url, method, params);
  if (r.error) throw new RpcError(method, r.error);
  if (!('result' in r)) throw new Error(`${method}: neither result nor error: ${JSON.stringify(r)}`);
  return r.result;
}

/** The `error` of a call that must fail (throws if it succeeds). */
export async function callError(url, method, params = []) {
  const r = await rpcRaw(url, method, params);
  if (!r.error) throw new Error(`${method} ${JSON.stringify(params)} succeeded: ${JSON.stringify(r.result)}`);
  if (!Number.isInteger(r.error.code) || typeof r.error.message !== 'string')
    throw new Error(`${method}: malformed error object ${JSON.stringify(r.error)}`);
  return r.error;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll eth_getTransactionReceipt until it is non-null (default 10 s). A missing method fails at
 * once with a clear message rather than timing out. */
export async function waitReceipt(url, hash, timeoutMs = 10000) {
  const t0 = Date.now();
  for (;;) {
    const r = await rpcRaw(url, 'eth_getTransactionReceipt', [hash]);
    if (r.error) throw new RpcError('eth_getTransactionReceipt', r.error);
    if (r.result) return r.result;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no receipt for ${hash} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Poll until eth_getTransactionCount(addr, latest) reaches `nonce` (a tx with nonce-1 is mined). */
export async function waitNonce(url, addr, nonce, timeoutMs = 10000) {
  const t0 = Date.now();
  for (;;) {
    const n = Number(await call(url, 'eth_getTransactionCount', [addr, 'latest']));
    if (n >= nonce) return n;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`nonce of ${addr} is ${n}, not ${nonce}, after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function balance(url, addr, tag = 'latest') {
  return BigInt(await call(url, 'eth_getBalance', [addr, tag]));
}

export async function blockNumber(url) {
  return Number(await call(url, 'eth_blockNumber'));
}

/**
 * Start the dev sequencer as the guide's "Development Sequencer" command does, on a temp datadir
 * and a free loopback port, with a short block time. `signerKeyFile` replaces --test with
 * --signer.key-file (and a static authorized signer, since dev has no L1). Logs go to stdout.
 */
export async function startSequencer({
  datadir = tempDir('rn-node-'),
  blockTime = 250,
  // The default 800 ms would exceed the short block time (the node warns); RN_E2E_BUILD_MS=default
  // runs with the node's default instead.
  buildDuration = process.env.RN_E2E_BUILD_MS ?? 150,
  signerKeyFile = null,
  authorizedSigner = null,
  extraArgs = [],
  env = {},
} = {}) {
  const port = await freePort();
  const args = ['node', '--chain', 'dev', '--datadir', datadir];
  if (signerKeyFile) {
    args.push('--signer.key-file', signerKeyFile);
    if (authorizedSigner) args.push('--consensus.authorized-signer', authorizedSigner);
  } else {
    args.push('--test');
  }
  args.push(
    '--sequencer.enabled', '--sequencer.auto-start',
    '--sequencer.block-time', String(blockTime),
    ...(buildDuration === 'default' ? [] : ['--sequencer.payload-building-duration', String(buildDuration)]),
    '--http', '--http.addr', '127.0.0.1', '--http.port', String(port),
    '--http.api', 'eth,net,web3,txpool,admin,debug,trace',
    ...extraArgs,
  );
  const p = start(nodeBin, args, {
    env: { ...process.env, RUST_LOG: 'info,scroll=debug,rollup=debug', NO_COLOR: '1', ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForRpc(url, 15000, p.child);
  } catch (e) {
    await p.stop('SIGKILL');
    throw new Error(`${e.message}\nstdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`);
  }
  return {
    ...p,
    url,
    port,
    datadir,
    args,
    /** Wait until stdout (from `from` chars on) matches `re`; returns the match. */
    async waitLog(re, timeoutMs = 10000, from = 0) {
      const t0 = Date.now();
      for (;;) {
        const m = p.stdout().slice(from).match(re);
        if (m) return m;
        if (p.child.exitCode !== null || p.child.signalCode !== null)
          throw new Error(`node exited (${p.child.exitCode ?? p.child.signalCode}) before logging ${re}`);
        if (Date.now() - t0 > timeoutMs)
          throw new Error(`no log line ${re} after ${timeoutMs} ms; stdout tail:\n${p.stdout().slice(-2000)}`);
        await sleep(25);
      }
    },
  };
}

/** Compile Solidity sources with solcjs; imports of @openzeppelin/… resolve to tests/node_modules. */
export function compileSolidity(sources, { evmVersion = 'cancun' } = {}) {
  const require = createRequire(import.meta.url);
  const solc = require('solc');
  const nodeModules = join(repoRoot, 'tests', 'node_modules');
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, { content: v }])),
    settings: {
      evmVersion,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const findImports = (path) => {
    try {
      return { contents: readFileSync(join(nodeModules, path), 'utf8') };
    } catch (e) {
      return { error: `${path}: ${e.message}` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  return out.contracts;
}
