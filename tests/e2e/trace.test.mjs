// trace_* (parity traces) against anvil: the same signed transactions go to both (chain id 1337,
// the same dev account and nonces), then trace_transaction, trace_block, trace_get, trace_filter,
// trace_replayTransaction, trace_replayBlockTransactions and trace_call must answer the same,
// field by field, except for the fields listed in DIFFERENCES.
//
//   ROLLUP_NODE_BIN=target/release/rollup-node node --test tests/e2e/trace.test.mjs
//
// The scenario: a Factory creates a Child with value (CREATE), calls it (CALL changing storage),
// calls a function that reverts (caught), static-calls the identity precompile, sends 1 wei to an
// EOA, and a CREATE2; plus a plain transfer and a reverting top-level call.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CHAIN_ID, DEV_ADDRESSES, call, callError, compileSolidity, devKeys, startSequencer,
  waitReceipt,
} from './lib/chain.mjs';
import { startAnvil, tempDir } from './lib/procs.mjs';

// Intended differences, in one place:
// - block hashes differ (Scroll headers, state roots), and so may block numbers (each node makes
//   its own blocks): the fields are dropped before comparing;
// - calls to precompiles that move no value: reth leaves them out of parity traces
//   (revm-inspectors' default_parity, exclude_precompile_calls) and so do we everywhere; anvil
//   leaves them out of trace_replayBlockTransactions but keeps them in trace_transaction,
//   trace_block and trace_filter — there its answers go through dropPrecompileCalls first.
const DIFFERENCES = ['blockHash', 'blockNumber'];
const PRECOMPILES = new Set([...Array.from({ length: 0x11 }, (_, i) => i + 1), 0x100]
  .map((n) => `0x${n.toString(16).padStart(40, '0')}`));

/** anvil's traces as reth would give them: no-value precompile calls removed, the parents'
 *  subtraces and the later siblings' traceAddress renumbered. */
function dropPrecompileCalls(list) {
  let out = list.map((t) => structuredClone(t));
  for (;;) {
    const i = out.findIndex((t) => t.type === 'call' && PRECOMPILES.has(t.action.to?.toLowerCase())
      && BigInt(t.action.value ?? 0) === 0n);
    if (i < 0) return out;
    const gone = out[i];
    const parent = gone.traceAddress.slice(0, -1);
    const idx = gone.traceAddress.at(-1);
    const same = (a, b) => a.length === b.length && a.every((x, k) => x === b[k]);
    out = out.filter((_, k) => k !== i).map((t) => {
      if (t.transactionHash !== gone.transactionHash) return t;
      if (same(t.traceAddress, parent)) return { ...t, subtraces: t.subtraces - 1 };
      const ta = t.traceAddress;
      if (ta.length > parent.length && same(ta.slice(0, parent.length), parent) && ta[parent.length] > idx)
        return { ...t, traceAddress: [...parent, ta[parent.length] - 1, ...ta.slice(parent.length + 1)] };
      return t;
    });
  }
}

const SOURCE = `
pragma solidity ^0.8.20;
contract Child {
    uint256 public x;
    constructor() payable { x = 1; }
    function ping() external returns (uint256) { x += 1; return x; }
    function boom() external pure { revert("no"); }
}
contract Factory {
    Child public c;
    function make(bytes32 salt) external payable returns (address) {
        c = new Child{value: msg.value - 1}();
        c.ping();
        try c.boom() {} catch {}
        (bool ok, ) = address(0x4).staticcall("hello");
        require(ok);
        payable(address(0x1234)).transfer(1);
        new Child{salt: salt}();
        return address(c);
    }
    function fail() external pure { revert("top-level"); }
    receive() external payable {}
}`;

const work = tempDir('rn-trace-test-');
let ethers;
let keys;
let ours;
let anvil;
const txs = {}; // name -> hash (same on both)
const hex = (n) => `0x${BigInt(n).toString(16)}`;

function strip(v) {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (!DIFFERENCES.includes(k)) o[k] = strip(x);
    return o;
  }
  return v;
}

before(async () => {
  [ethers, keys] = await Promise.all([import('ethers'), devKeys()]);
  [ours, anvil] = await Promise.all([
    startSequencer({ datadir: join(work, 'ours') }),
    startAnvil(['--chain-id', String(CHAIN_ID), '--accounts', '20', '--balance', '1000000', '--steps-tracing']),
  ]);
  const f = compileSolidity({ 'F.sol': SOURCE }, { evmVersion: 'cancun' })['F.sol'].Factory;
  const w = new ethers.Wallet(keys[6]);
  const iface = new ethers.Interface(f.abi);
  const fee = { maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 10n ** 6n, chainId: CHAIN_ID, type: 2 };
  const factory = ethers.getCreateAddress({ from: DEV_ADDRESSES[6], nonce: 0 });
  const plan = [
    ['deploy', { nonce: 0, data: `0x${f.evm.bytecode.object}`, gasLimit: 3_000_000n }],
    ['make', { nonce: 1, to: factory, value: 11n, gasLimit: 2_000_000n,
      data: iface.encodeFunctionData('make', [ethers.id('salt')]) }],
    ['transfer', { nonce: 2, to: DEV_ADDRESSES[7], value: 5n, gasLimit: 21_000n }],
    ['fail', { nonce: 3, to: factory, gasLimit: 100_000n, data: iface.encodeFunctionData('fail') }],
  ];
  for (const [name, tx] of plan) {
    const raw = await w.signTransaction({ ...fee, ...tx });
    const [h1, h2] = await Promise.all([ours.url, anvil.url].map((u) => call(u, 'eth_sendRawTransaction', [raw])));
    assert.equal(h1, h2);
    txs[name] = h1;
    await Promise.all([ours.url, anvil.url].map((u) => waitReceipt(u, h1, 15000)));
  }
  txs.factory = factory;
});

after(async () => {
  await Promise.all([ours?.stop('SIGKILL'), anvil?.stop('SIGKILL')]);
  rmSync(work, { recursive: true, force: true });
});

async function both(method, params) {
  return Promise.all([ours.url, anvil.url].map((u) => call(u, method, params)));
}

test('trace_transaction equals anvil for creates, nested calls, reverts, precompiles, transfers', async () => {
  for (const name of ['deploy', 'make', 'transfer', 'fail']) {
    const [a, b] = await both('trace_transaction', [txs[name]]);
    assert.deepEqual(strip(a), strip(dropPrecompileCalls(b)), `trace_transaction ${name}`);
  }
  const [mk] = await both('trace_transaction', [txs.make]);
  assert.ok(mk.length >= 6, `make has ${mk.length} traces`);
  assert.deepEqual(mk.map((t) => t.type).slice(0, 2), ['call', 'create']);
  assert.ok(mk.some((t) => t.error === 'Reverted'));
  assert.ok(mk.some((t) => t.action.creationMethod === 'create2'));
  assert.ok(!mk.some((t) => PRECOMPILES.has(t.action.to)), 'a no-value precompile call was traced');
});

test('trace_block, trace_get, trace_replay* equal anvil', async () => {
  const r = await call(ours.url, 'eth_getTransactionReceipt', [txs.make]);
  const ra = await call(anvil.url, 'eth_getTransactionReceipt', [txs.make]);
  const [a, b] = await Promise.all([call(ours.url, 'trace_block', [r.blockNumber]),
    call(anvil.url, 'trace_block', [ra.blockNumber])]);
  assert.deepEqual(strip(a.filter((t) => t.transactionHash === txs.make)),
    strip(dropPrecompileCalls(b.filter((t) => t.transactionHash === txs.make))));
  // anvil has no trace_get: it must pick the index-th of trace_transaction's list.
  const list = await call(ours.url, 'trace_transaction', [txs.make]);
  for (const [idx, want] of [[['0x0'], list[0]], [[2], list[2]], [['0x63'], null], [[0, 1], null]])
    assert.deepEqual(await call(ours.url, 'trace_get', [txs.make, idx]), want, `trace_get ${idx}`);
  const [x, y] = await Promise.all([call(ours.url, 'trace_replayBlockTransactions', [r.blockNumber, ['trace']]),
    call(anvil.url, 'trace_replayBlockTransactions', [ra.blockNumber, ['trace']])]);
  const mine = x.find((t) => t.transactionHash === txs.make);
  assert.ok(mine);
  assert.deepEqual(strip(mine), strip(y.find((t) => t.transactionHash === txs.make)));
  // anvil has no trace_replayTransaction: it is the block replay's entry without the hash.
  const { transactionHash, ...rest } = mine;
  assert.deepEqual(await call(ours.url, 'trace_replayTransaction', [txs.make, ['trace']]), rest);
});

test('trace_call and trace_filter equal anvil; bad input is -32602', async () => {
  const callObj = { from: DEV_ADDRESSES[6], to: txs.factory, data: '0xa9cc4718' /* fail() */, gas: '0x30000' };
  // anvil has no trace_call: its answer must match the replayed top-level revert of fail().
  const tc = await call(ours.url, 'trace_call', [callObj, ['trace'], 'latest']);
  const rp = await call(ours.url, 'trace_replayTransaction', [txs.fail, ['trace']]);
  assert.equal(tc.output, rp.output);
  assert.equal(tc.trace.length, 1);
  assert.deepEqual({ ...tc.trace[0], action: { ...tc.trace[0].action, gas: null }, result: { ...tc.trace[0].result, gasUsed: null } },
    { ...rp.trace[0], action: { ...rp.trace[0].action, gas: null }, result: { ...rp.trace[0].result, gasUsed: null } });
  assert.equal(tc.trace[0].error, 'Reverted');
  assert.equal(tc.trace[0].action.gas, hex(0x30000 - 21064));
  // trace_filter: anvil's own keeps no-value precompile calls (see DIFFERENCES), so the expected
  // answer is anvil's trace_block of every block, as reth would give it, filtered here.
  const head = await call(ours.url, 'eth_blockNumber');
  const headA = Number(await call(anvil.url, 'eth_blockNumber'));
  let all = [];
  for (let n = 1; n <= headA; n++)
    all = all.concat(dropPrecompileCalls(await call(anvil.url, 'trace_block', [hex(n)])));
  const lc = (a) => a?.toLowerCase();
  const dst = (t) => lc(t.action.to ?? t.result?.address);
  const f1 = await call(ours.url, 'trace_filter', [{ fromBlock: '0x1', toBlock: head, toAddress: [txs.factory] }]);
  const want1 = all.filter((t) => dst(t) === lc(txs.factory));
  assert.ok(f1.length >= 2);
  assert.deepEqual(strip(f1), strip(want1));
  const g1 = await call(ours.url, 'trace_filter',
    [{ fromBlock: '0x1', toBlock: head, fromAddress: [DEV_ADDRESSES[6]], after: 1, count: 2 }]);
  const want2 = all.filter((t) => lc(t.action.from) === lc(DEV_ADDRESSES[6])).slice(1, 3);
  assert.equal(g1.length, 2);
  assert.deepEqual(strip(g1), strip(want2));
  assert.equal((await callError(ours.url, 'trace_transaction', ['0x12'])).code, -32602);
  assert.equal((await callError(ours.url, 'trace_replayTransaction', [txs.make, ['vmTrace']])).code, -32602);
  assert.equal((await callError(ours.url, 'trace_filter', [{ fromAddress: ['nope'] }])).code, -32602);
  assert.equal(await call(ours.url, 'trace_transaction', [`0x${'11'.repeat(32)}`]), null);
});

test('debug_traceCall honours stateOverrides and blockOverrides', async () => {
  const poor = '0x000000000000000000000000000000000000dEaD';
  const callObj = { from: poor, to: DEV_ADDRESSES[7], value: '0x1', gas: '0x10000' };
  const e = await callError(ours.url, 'debug_traceCall', [callObj, 'latest', { tracer: 'callTracer' }]);
  assert.match(e.message, /insufficient funds/);
  const t = await call(ours.url, 'debug_traceCall', [callObj, 'latest',
    { tracer: 'callTracer', stateOverrides: { [poor]: { balance: '0xffff' } } }]);
  assert.equal(t.type, 'CALL');
  assert.equal(t.value, '0x1');
  assert.equal(t.error, undefined);
  // blockOverrides: NUMBER seen by code (PUSH0 NUMBER PUSH0 MSTORE PUSH1 32 PUSH0 RETURN).
  const code = '0x435f5260205ff3';
  const r = await call(ours.url, 'debug_traceCall', [{ to: poor, gas: '0x10000' }, 'latest',
    { tracer: 'callTracer', stateOverrides: { [poor]: { code } }, blockOverrides: { number: '0x4d2' } }]);
  assert.equal(BigInt(r.output), 0x4d2n);
  const bad = await callError(ours.url, 'debug_traceCall', [callObj, 'latest',
    { stateOverrides: { [poor]: { balance: 'lots' } } }]);
  assert.equal(bad.code, -32602);
});

test('debug_traceTransaction prestateTracer (both modes) equals anvil but for fees', async () => {
  // Fees differ on purpose (Scroll's base fee, the L1 data fee, the fee vault as coinbase): the
  // sender's balance and the fee recipients are left out of the comparison.
  const feeAccounts = new Set(['0x5300000000000000000000000000000000000005']);
  const ab = await call(anvil.url, 'eth_getBlockByNumber', ['latest', false]);
  feeAccounts.add(ab.miner.toLowerCase());
  const sender = DEV_ADDRESSES[6].toLowerCase();
  const norm = (m) => Object.fromEntries(Object.entries(m)
    .filter(([a]) => !feeAccounts.has(a.toLowerCase()))
    .map(([a, v]) => [a.toLowerCase(), a.toLowerCase() === sender ? { ...v, balance: undefined } : v]));
  for (const name of ['deploy', 'make', 'transfer', 'fail']) {
    const [x, y] = await both('debug_traceTransaction', [txs[name], { tracer: 'prestateTracer' }]);
    assert.deepEqual(norm(x), norm(y), `prestate ${name}`);
    const [dx, dy] = await both('debug_traceTransaction',
      [txs[name], { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }]);
    assert.deepEqual(norm(dx.pre), norm(dy.pre), `prestate diff pre ${name}`);
    assert.deepEqual(norm(dx.post), norm(dy.post), `prestate diff post ${name}`);
  }
  const [mk] = await both('debug_traceTransaction', [txs.make, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }]);
  assert.ok(Object.keys(mk.pre).length >= 2);
  assert.equal((await callError(ours.url, 'debug_traceTransaction', [txs.make, { tracer: 'fourByteTracer' }])).code, -32602);
});

test('debug_traceTransaction struct logs with memory, storage and return data equal anvil', async () => {
  for (const name of ['make', 'fail']) {
    for (const opts of [{}, { enableMemory: true, enableReturnData: true }, { disableStorage: true, disableStack: true }]) {
      const [x, y] = await both('debug_traceTransaction', [txs[name], opts]);
      assert.equal(x.structLogs.length, y.structLogs.length, `${name} ${JSON.stringify(opts)}: steps`);
      assert.equal(x.failed, y.failed);
      assert.equal(x.returnValue.replace(/^0x/, ''), y.returnValue.replace(/^0x/, ''));
      for (let i = 0; i < x.structLogs.length; i++) {
        const a = x.structLogs[i];
        const b = y.structLogs[i];
        for (const k of ['pc', 'op', 'gas', 'gasCost', 'depth', 'stack', 'memory', 'storage', 'returnData'])
          assert.deepEqual(a[k], b[k], `${name} ${JSON.stringify(opts)} step ${i} (${b.op}) ${k}`);
      }
    }
  }
});

test('trace_replay* stateDiff equals anvil but for fees', async () => {
  const ab = await call(anvil.url, 'eth_getBlockByNumber', ['latest', false]);
  const fee = new Set(['0x5300000000000000000000000000000000000005', ab.miner.toLowerCase()]);
  const sender = DEV_ADDRESSES[6].toLowerCase();
  const norm = (d) => Object.fromEntries(Object.entries(d)
    .filter(([a]) => !fee.has(a.toLowerCase()))
    .map(([a, v]) => [a.toLowerCase(), a.toLowerCase() === sender ? { ...v, balance: 'fee' } : v]));
  for (const name of ['deploy', 'make', 'transfer', 'fail']) {
    const r = await call(ours.url, 'eth_getTransactionReceipt', [txs[name]]);
    const ra = await call(anvil.url, 'eth_getTransactionReceipt', [txs[name]]);
    const [x, y] = await Promise.all([
      call(ours.url, 'trace_replayBlockTransactions', [r.blockNumber, ['trace', 'stateDiff']]),
      call(anvil.url, 'trace_replayBlockTransactions', [ra.blockNumber, ['trace', 'stateDiff']])]);
    const a = x.find((t) => t.transactionHash === txs[name]);
    const b = y.find((t) => t.transactionHash === txs[name]);
    assert.ok(a.stateDiff && Object.keys(a.stateDiff).length >= 2, name);
    assert.deepEqual(norm(a.stateDiff), norm(b.stateDiff), `stateDiff ${name}`);
    assert.deepEqual(strip(a.trace), strip(b.trace), `trace ${name}`);
  }
  const only = await call(ours.url, 'trace_replayTransaction', [txs.make, ['stateDiff']]);
  assert.deepEqual(only.trace, []);
  assert.ok(only.stateDiff);
  assert.equal((await callError(ours.url, 'trace_call', [{ to: txs.factory }, ['stateDiff'], 'latest'])).code, -32602);
});
