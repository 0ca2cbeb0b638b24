// The dev sequencer as a user drives it (guide: "Development Sequencer", "Verifying Sequencer
// Operation"): the guide's dev command with a temp datadir, a free port and a 250 ms block time,
// then real clients against it — viem, ethers v6 with an OpenZeppelin ERC-20 compiled by solcjs,
// and Foundry's cast — plus the guide's log lines, a signing sequencer whose stored signatures
// recover to its key, JSON-RPC errors for bad input, and restarts after SIGTERM and SIGKILL.
//
//   ROLLUP_NODE_BIN=/tmp/hC/rollup-node node --test tests/e2e/node.test.mjs
//
// Funded accounts are the test mnemonic's (chain id 1337); fees (execution + L1 data fee) all go
// to the fee vault 0x53…05, nothing is burned (SCROLL.md §4.4). Tests on the shared node use
// distinct senders so their nonces never collide: 0 viem, 1 and 3 ERC-20, 4 cast, 7 log lines,
// 8 bad input, 11–13 tx types, 15–17 pool; the signer, lookup-index and restart tests run their
// own nodes.
// Parts that need a method still being written fail in their own subtest, the rest still runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import {
  CHAIN_ID, DEV_ADDRESSES, DEV_BASE_FEE, FEE_VAULT, GENESIS_BALANCE, RpcError, balance,
  blockNumber, call, callError, compileSolidity, devKeys, postRaw, rpcRaw, sleep,
  startSequencer, waitNonce, waitReceipt,
} from './lib/chain.mjs';
import { npmBin, tempDir } from './lib/procs.mjs';

const execFileP = promisify(execFile);
const GPO = '0x5300000000000000000000000000000000000002';
const lc = (a) => a.toLowerCase();
const hex = (n) => `0x${BigInt(n).toString(16)}`;

let ethers;
let viem;
let viemAccounts;
let keys;
let node; // the shared dev sequencer (all tests but the signer and restart ones)
const work = tempDir('rn-node-test-');

before(async () => {
  [ethers, viem, viemAccounts, keys] = await Promise.all([
    import('ethers'), import('viem'), import('viem/accounts'), devKeys(),
  ]);
  node = await startSequencer({ datadir: join(work, 'shared'),
    extraArgs: ['--rpc.eth-proof-window', '64'] });
});

after(async () => {
  if (node) await node.stop('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** A signed EIP-1559 transfer (ethers), with every field explicit. */
async function signTransfer(key, { to, value = 1n, nonce, chainId = CHAIN_ID, gasLimit = 21000n,
  maxFeePerGas = DEV_BASE_FEE * 2n, maxPriorityFeePerGas = 1000n, data = '0x' }) {
  const w = new ethers.Wallet(key);
  return w.signTransaction({
    type: 2, chainId, nonce, to, value, gasLimit, maxFeePerGas, maxPriorityFeePerGas, data,
  });
}

/** The 2048-bit log bloom of `logs` (Yellow Paper §4.3.1), as 0x-hex. */
function bloomOf(logs) {
  const b = new Uint8Array(256);
  for (const l of logs) {
    for (const v of [l.address, ...l.topics]) {
      const h = ethers.getBytes(ethers.keccak256(v));
      for (const i of [0, 2, 4]) {
        const bit = ((h[i] << 8) | h[i + 1]) & 2047;
        b[255 - (bit >> 3)] |= 1 << (bit & 7);
      }
    }
  }
  return ethers.hexlify(b);
}

/** Snapshot of the 20 dev accounts' and the fee vault's balances at `tag`. */
async function balances(url, tag = 'latest') {
  const addrs = [...DEV_ADDRESSES, FEE_VAULT];
  const vals = await Promise.all(addrs.map((a) => balance(url, a, tag)));
  return Object.fromEntries(addrs.map((a, i) => [a, vals[i]]));
}
const total = (snap) => Object.values(snap).reduce((s, v) => s + v, 0n);

// ---------------------------------------------------------------------------------------------
// 1. viem: an ETH transfer, its receipt (with Scroll's l1Fee) and exact balances.
// ---------------------------------------------------------------------------------------------
test('viem: ETH transfer, receipt with l1Fee, exact balance changes, fees to the fee vault', async (t) => {
  const { createPublicClient, createWalletClient, defineChain, http, parseEther } = viem;
  const chain = defineChain({
    id: CHAIN_ID,
    name: 'rollup-node dev',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [node.url] } },
  });
  const account = viemAccounts.privateKeyToAccount(keys[0]);
  assert.equal(account.address, DEV_ADDRESSES[0]);
  const pub = createPublicClient({ chain, transport: http(node.url), pollingInterval: 100 });
  const wallet = createWalletClient({ account, chain, transport: http(node.url) });

  assert.equal(await pub.getChainId(), CHAIN_ID);
  const to = DEV_ADDRESSES[2];
  const value = parseEther('1.5');
  const [sBefore, rBefore, vBefore, nonceBefore] = await Promise.all([
    pub.getBalance({ address: account.address }), pub.getBalance({ address: to }),
    pub.getBalance({ address: FEE_VAULT }), pub.getTransactionCount({ address: account.address }),
  ]);
  assert.equal(sBefore, GENESIS_BALANCE, 'account 0 starts with its genesis balance');
  assert.equal(rBefore, GENESIS_BALANCE);
  assert.equal(nonceBefore, 0);
  const headBefore = await pub.getBlockNumber();

  const hash = await wallet.sendTransaction({ to, value });
  assert.match(hash, /^0x[0-9a-f]{64}$/);
  await waitNonce(node.url, account.address, 1);
  const [sAfter, rAfter, vAfter] = await Promise.all([
    pub.getBalance({ address: account.address }), pub.getBalance({ address: to }),
    pub.getBalance({ address: FEE_VAULT }),
  ]);
  assert.equal(rAfter - rBefore, value, 'recipient gets exactly the value');
  assert.equal(sBefore - sAfter - value, vAfter - vBefore,
    'what the sender paid beyond the value is exactly what the fee vault got (no burn)');
  assert.ok(vAfter - vBefore > 21000n * DEV_BASE_FEE, 'fee > execution fee: an L1 fee was charged');

  // The block that holds it: base fee of the dev chain, header coinbase 0x0, one transaction.
  const bn = headBefore + 1n;
  const blockLite = await pub.getBlock({ blockNumber: bn });
  assert.deepEqual(blockLite.transactions, [hash], `block ${bn} holds the tx`);
  assert.equal(blockLite.baseFeePerGas, DEV_BASE_FEE);
  assert.equal(blockLite.miner, '0x0000000000000000000000000000000000000000');
  assert.equal(blockLite.gasUsed, 21000n);
  const now = BigInt(Math.floor(Date.now() / 1000));
  assert.ok(blockLite.timestamp <= now + 1n && blockLite.timestamp >= now - 15n,
    `block timestamp ${blockLite.timestamp} is now (${now})`);

  await t.test('eth_getBalance at explicit block numbers (state history)', async () => {
    assert.equal(await pub.getBalance({ address: account.address, blockNumber: bn - 1n }), sBefore);
    assert.equal(await pub.getBalance({ address: account.address, blockNumber: bn }), sAfter);
    assert.equal(await pub.getBalance({ address: FEE_VAULT, blockNumber: bn }), vAfter);
    assert.equal(await pub.getTransactionCount({ address: account.address, blockNumber: bn - 1n }), 0);
  });

  await t.test('eth_getBlockByNumber(n, true) hydrates the transactions', async () => {
    const block = await pub.getBlock({ blockNumber: bn, includeTransactions: true });
    assert.equal(block.transactions.length, 1);
    assert.equal(typeof block.transactions[0], 'object', `got ${block.transactions[0]}`);
    assert.equal(block.transactions[0].hash, hash);
    assert.equal(lc(block.transactions[0].from), lc(account.address));
    assert.equal(block.transactions[0].blockNumber, bn);
    const rawBlock = await call(node.url, 'eth_getBlockByNumber', [hex(bn), true]);
    const rawTx = await call(node.url, 'eth_getTransactionByHash', [hash]);
    assert.deepEqual(rawBlock.transactions[0], rawTx, 'hydrated tx = eth_getTransactionByHash');
    const byHash = await call(node.url, 'eth_getBlockByHash', [rawBlock.hash, true]);
    assert.deepEqual(byHash, rawBlock);
  });

  await t.test('eth_getTransactionByHash', async () => {
    const tx = await pub.getTransaction({ hash });
    assert.equal(tx.blockNumber, bn);
    assert.equal(tx.blockHash, blockLite.hash);
    assert.equal(tx.transactionIndex, 0);
    assert.equal(tx.nonce, 0);
    assert.equal(tx.value, value);
    assert.equal(lc(tx.to), lc(to));
    assert.equal(lc(tx.from), lc(account.address));
    assert.equal(tx.chainId, CHAIN_ID);
    assert.equal(tx.type, 'eip1559');
  });

  await t.test('receipt: viem waitForTransactionReceipt and the raw l1Fee; exact fee accounting', async () => {
    const raw = await waitReceipt(node.url, hash); // fails fast on -32601
    const receipt = await pub.waitForTransactionReceipt({ hash, timeout: 10000, pollingInterval: 100 });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.transactionHash, hash);
    assert.equal(receipt.blockNumber, bn);
    assert.equal(receipt.blockHash, blockLite.hash);
    assert.equal(receipt.transactionIndex, 0);
    assert.equal(lc(receipt.from), lc(account.address));
    assert.equal(lc(receipt.to), lc(to));
    assert.equal(receipt.gasUsed, 21000n);
    assert.equal(receipt.cumulativeGasUsed, 21000n);
    assert.equal(receipt.contractAddress, null);
    assert.deepEqual(receipt.logs, []);
    assert.equal(receipt.type, 'eip1559');
    const tx = await pub.getTransaction({ hash });
    // effectiveGasPrice = baseFee + min(tip, maxFee - baseFee)
    const tip = tx.maxPriorityFeePerGas < tx.maxFeePerGas - DEV_BASE_FEE
      ? tx.maxPriorityFeePerGas : tx.maxFeePerGas - DEV_BASE_FEE;
    assert.equal(receipt.effectiveGasPrice, DEV_BASE_FEE + tip);
    // Scroll's receipt field, read from the raw JSON-RPC receipt.
    assert.match(raw.l1Fee ?? '', /^0x[0-9a-f]+$/, `raw receipt lacks l1Fee: ${JSON.stringify(raw)}`);
    const l1Fee = BigInt(raw.l1Fee);
    assert.ok(l1Fee > 0n, 'l1Fee > 0 for an L2 transaction');
    const fee = receipt.gasUsed * receipt.effectiveGasPrice + l1Fee;
    assert.equal(sBefore - sAfter, value + fee, 'sender pays value + gasUsed·price + l1Fee');
    assert.equal(vAfter - vBefore, fee, 'the fee vault gets gasUsed·price + l1Fee (no burn)');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. ethers v6 + solcjs: an OpenZeppelin ERC-20.
// ---------------------------------------------------------------------------------------------
const TOKEN_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract TestToken is ERC20 {
    constructor(uint256 supply) ERC20("Test Token", "TTK") { _mint(msg.sender, supply); }
}
`;

test('ethers + solc: deploy an ERC-20, transfer, eth_call, estimateGas, logs, custom-error revert', async (t) => {
  const compiled = compileSolidity({ 'TestToken.sol': TOKEN_SOURCE })['TestToken.sol'].TestToken;
  const abi = compiled.abi;
  const bytecode = `0x${compiled.evm.bytecode.object}`;
  const runtime = `0x${compiled.evm.deployedBytecode.object}`;

  const provider = new ethers.JsonRpcProvider(node.url, CHAIN_ID,
    { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  t.after(() => provider.destroy());
  const deployer = new ethers.Wallet(keys[1], provider);
  const holder = DEV_ADDRESSES[3];
  const supply = 1_000_000n * 10n ** 18n;

  const nonce0 = await provider.getTransactionCount(deployer.address, 'latest');
  const factory = new ethers.ContractFactory(abi, bytecode, deployer);
  const token = await factory.deploy(supply);
  const deployTx = token.deploymentTransaction();
  await waitNonce(node.url, deployer.address, nonce0 + 1);
  const addr = await token.getAddress();
  assert.equal(addr, ethers.getCreateAddress({ from: deployer.address, nonce: nonce0 }));
  assert.equal(await provider.getCode(addr), runtime, 'the deployed code is solc\'s runtime code');

  // Views through eth_call.
  assert.equal(await token.name(), 'Test Token');
  assert.equal(await token.symbol(), 'TTK');
  assert.equal(await token.decimals(), 18n);
  assert.equal(await token.totalSupply(), supply);
  assert.equal(await token.balanceOf(deployer.address), supply);
  assert.equal(await token.balanceOf(holder), 0n);

  // estimateGas of a transfer to a fresh holder: more than a plain transfer, well under 100k.
  const amount = 1234n * 10n ** 18n;
  const est = await token.transfer.estimateGas(holder, amount);
  assert.ok(est > 21000n && est < 100000n, `estimateGas ${est}`);

  const headBefore = await provider.getBlockNumber();
  const tx = await token.transfer(holder, amount, { gasLimit: est });
  await waitNonce(node.url, deployer.address, nonce0 + 2);
  assert.equal(await token.balanceOf(holder), amount, 'a transfer with exactly the estimated gas succeeds');
  assert.equal(await token.balanceOf(deployer.address), supply - amount);
  // balanceOf via a raw eth_call, now and at the block before the transfer (state history).
  const data = token.interface.encodeFunctionData('balanceOf', [holder]);
  const out = await call(node.url, 'eth_call', [{ to: addr, data }, 'latest']);
  assert.equal(BigInt(out), amount);
  const outPrev = await call(node.url, 'eth_call', [{ to: addr, data }, hex(headBefore)]);
  assert.equal(BigInt(outPrev), 0n);
  // The transfer's block carries a bloom with the token address.
  const txBlockNum = await (async () => {
    for (let n = headBefore + 1; n <= await provider.getBlockNumber(); n++) {
      const b = await call(node.url, 'eth_getBlockByNumber', [hex(n), false]);
      if (b.transactions.includes(tx.hash)) return n;
    }
    return null;
  })();
  assert.ok(txBlockNum, 'the transfer is in a block');
  const txBlock = await call(node.url, 'eth_getBlockByNumber', [hex(txBlockNum), false]);
  assert.notEqual(BigInt(txBlock.logsBloom), 0n, 'the block bloom is not empty');

  await t.test('a revert decodes to ERC20InsufficientBalance (eth_call / eth_estimateGas)', async () => {
    const holderSigner = new ethers.Wallet(keys[3], provider);
    const tokenAsHolder = token.connect(holderSigner);
    const tooMuch = amount + 1n;
    await assert.rejects(tokenAsHolder.transfer.staticCall(deployer.address, tooMuch), (e) => {
      assert.equal(e.code, 'CALL_EXCEPTION', e.message);
      assert.equal(e.revert?.name, 'ERC20InsufficientBalance', `decoded revert: ${e.message}`);
      assert.deepEqual([...e.revert.args], [holder, amount, tooMuch]);
      return true;
    });
    // ethers' estimateGas does not decode with the ABI; the data it carries must decode.
    await assert.rejects(tokenAsHolder.transfer.estimateGas(deployer.address, tooMuch), (e) => {
      assert.equal(e.code, 'CALL_EXCEPTION', e.message);
      const decoded = token.interface.parseError(e.data);
      assert.equal(decoded?.name, 'ERC20InsufficientBalance', `revert data: ${e.data}`);
      assert.deepEqual([...decoded.args], [holder, amount, tooMuch]);
      return true;
    });
    // The raw JSON-RPC error: code 3, "execution reverted", the ABI-encoded custom error as data.
    const revertData = token.interface.encodeErrorResult('ERC20InsufficientBalance',
      [holder, amount, tooMuch]);
    for (const method of ['eth_call', 'eth_estimateGas']) {
      const err = await callError(node.url, method, [{
        from: holder, to: addr,
        data: token.interface.encodeFunctionData('transfer', [deployer.address, tooMuch]),
      }, 'latest']);
      assert.equal(err.code, 3, `${method}: ${JSON.stringify(err)}`);
      assert.match(err.message, /execution reverted/);
      assert.equal(err.data, revertData, method);
    }
  });

  await t.test('receipts: deployment (contractAddress, mint log) and transfer (Transfer log)', async () => {
    const deployRc = await deployTx.wait(1, 10000);
    assert.equal(deployRc.status, 1);
    assert.equal(deployRc.contractAddress, addr);
    const transferTopic = ethers.id('Transfer(address,address,uint256)');
    assert.equal(deployRc.logs.length, 1);
    assert.equal(deployRc.logs[0].address, addr);
    assert.equal(deployRc.logs[0].topics[0], transferTopic);
    const rc = await tx.wait(1, 10000);
    assert.equal(rc.status, 1);
    assert.equal(rc.blockNumber, txBlockNum);
    assert.ok(rc.gasUsed <= est, `gasUsed ${rc.gasUsed} ≤ estimate ${est}`);
    assert.ok(rc.gasUsed > 21000n);
    assert.equal(rc.logs.length, 1);
    const log = rc.logs[0];
    assert.equal(log.address, addr);
    assert.deepEqual([...log.topics].map(lc), [transferTopic, ethers.zeroPadValue(deployer.address, 32),
      ethers.zeroPadValue(holder, 32)].map(lc));
    const parsed = token.interface.parseLog(log);
    assert.equal(parsed.name, 'Transfer');
    assert.equal(parsed.args.from, deployer.address);
    assert.equal(parsed.args.to, holder);
    assert.equal(parsed.args.value, amount);
    assert.equal(log.blockNumber, rc.blockNumber);
    assert.equal(log.transactionHash, rc.hash);
    assert.equal(rc.logsBloom, txBlock.logsBloom, 'one tx in the block: bloom equals the block bloom');
    const rawRc = await call(node.url, 'eth_getTransactionReceipt', [tx.hash]);
    assert.equal(rawRc.logsBloom, bloomOf(rawRc.logs), 'receipt bloom = bloom of its logs');
    const rawDeploy = await call(node.url, 'eth_getTransactionReceipt', [deployTx.hash]);
    assert.equal(rawDeploy.logsBloom, bloomOf(rawDeploy.logs));
    assert.equal(Number(rawDeploy.logs[0].logIndex), 0);
    assert.equal(BigInt(rawDeploy.l1Fee) > BigInt(rawRc.l1Fee), true, 'a deployment (more bytes) pays a larger L1 fee');
  });

  await t.test('eth_getLogs by address, topics and block hash', async () => {
    const transferTopic = ethers.id('Transfer(address,address,uint256)');
    const all = await call(node.url, 'eth_getLogs',
      [{ address: addr, topics: [transferTopic], fromBlock: '0x0', toBlock: 'latest' }]);
    assert.equal(all.length, 2, `mint + transfer: ${JSON.stringify(all)}`);
    assert.equal(all[0].transactionHash, deployTx.hash);
    assert.equal(all[1].transactionHash, tx.hash);
    assert.equal(lc(all[1].address), lc(addr));
    assert.equal(BigInt(all[1].data), amount);
    assert.equal(Number(all[1].blockNumber), txBlockNum);
    assert.equal(all[1].blockHash, txBlock.hash);
    assert.equal(all[1].removed, false);
    const toHolder = await call(node.url, 'eth_getLogs', [{
      address: addr, fromBlock: '0x0', toBlock: 'latest',
      topics: [transferTopic, null, ethers.zeroPadValue(holder, 32)],
    }]);
    assert.deepEqual(toHolder.map((l) => l.transactionHash), [tx.hash]);
    const byBlock = await call(node.url, 'eth_getLogs', [{ blockHash: txBlock.hash }]);
    assert.deepEqual(byBlock.map((l) => l.transactionHash), [tx.hash]);
    const otherAddr = await call(node.url, 'eth_getLogs',
      [{ address: DEV_ADDRESSES[5], fromBlock: '0x0', toBlock: 'latest' }]);
    assert.deepEqual(otherAddr, []);
    const ethersLogs = await provider.getLogs({ address: addr, topics: [transferTopic], fromBlock: 0 });
    assert.equal(ethersLogs.length, 2);
  });

  await t.test('a reverting transaction is mined with status 0, no logs, and pays its fees', async () => {
    const holderSigner = new ethers.Wallet(keys[3], provider);
    const tokenAsHolder = token.connect(holderSigner);
    const tooMuch = amount + 1n;
    const holderEthBefore = await provider.getBalance(holder);
    // Explicit gas so nothing is estimated.
    const bad = await tokenAsHolder.transfer(deployer.address, tooMuch, { gasLimit: 100000n });
    await waitNonce(node.url, holder, 1);
    assert.equal(await token.balanceOf(holder), amount, 'the revert changed no token balance');
    const rawBad = await waitReceipt(node.url, bad.hash);
    assert.equal(rawBad.status, '0x0');
    assert.deepEqual(rawBad.logs, []);
    const gasUsed = BigInt(rawBad.gasUsed);
    assert.ok(gasUsed > 21000n && gasUsed < 100000n, `gasUsed ${gasUsed}`);
    const l1Fee = BigInt(rawBad.l1Fee);
    assert.ok(l1Fee > 0n);
    assert.equal(holderEthBefore - await provider.getBalance(holder),
      gasUsed * BigInt(rawBad.effectiveGasPrice) + l1Fee, 'a reverted tx still pays gas and the L1 fee');
    await assert.rejects(bad.wait(1, 10000), (e) => {
      assert.equal(e.code, 'CALL_EXCEPTION');
      assert.equal(e.receipt?.status, 0);
      return true;
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 2b. Every transaction type over eth_sendRawTransaction, and the fee suggestions clients use.
// ---------------------------------------------------------------------------------------------
test('legacy (EIP-155), EIP-2930 and EIP-1559 transfers are mined with exact fee accounting', async (t) => {
  const url = node.url;
  const price = DEV_BASE_FEE + 1000n;
  const txs = [
    { i: 11, tx: { type: 0, gasPrice: price }, price },
    { i: 12, tx: { type: 1, gasPrice: price, accessList: [] }, price },
    { i: 13, tx: { type: 2, maxFeePerGas: DEV_BASE_FEE * 3n, maxPriorityFeePerGas: 1000n }, price },
  ];
  const to = DEV_ADDRESSES[14];
  const before = await balances(url);
  const hashes = [];
  for (const { i, tx } of txs) {
    const raw = await new ethers.Wallet(keys[i]).signTransaction({
      chainId: CHAIN_ID, nonce: 0, to, value: 1000n + BigInt(i), gasLimit: 21000n, ...tx,
    });
    assert.equal(parseInt(raw.slice(2, 4), 16) >= 0xc0 ? 0 : parseInt(raw.slice(2, 4), 16), tx.type);
    hashes.push(await call(url, 'eth_sendRawTransaction', [raw]));
  }
  for (const { i } of txs) await waitNonce(url, DEV_ADDRESSES[i], 1);
  const afterSnap = await balances(url);
  let fees = 0n;
  const l1Fees = [];
  for (const { i, price: p } of txs) {
    const paid = before[DEV_ADDRESSES[i]] - afterSnap[DEV_ADDRESSES[i]] - (1000n + BigInt(i));
    const l1Fee = paid - 21000n * p;
    assert.ok(l1Fee > 0n, `type-${txs.find((x) => x.i === i).tx.type} tx pays an L1 fee (${l1Fee})`);
    l1Fees.push(l1Fee);
    fees += paid;
  }
  assert.equal(afterSnap[to] - before[to], 3000n + 11n + 12n + 13n);
  assert.equal(afterSnap[FEE_VAULT] - before[FEE_VAULT], fees, 'all fees to the vault');

  await t.test('receipts: type, effectiveGasPrice and l1Fee match the charges', async () => {
    for (const [j, h] of hashes.entries()) {
      const r = await waitReceipt(url, h);
      assert.equal(r.status, '0x1');
      assert.equal(Number(r.type), txs[j].tx.type);
      assert.equal(BigInt(r.gasUsed), 21000n);
      assert.equal(BigInt(r.effectiveGasPrice), txs[j].price);
      assert.equal(BigInt(r.l1Fee), l1Fees[j]);
    }
  });

  await t.test('fee suggestions: tip floor 100 wei (--gpo.default-suggest-priority-fee), gasPrice = base fee + tip', async () => {
    const tip = BigInt(await call(url, 'eth_maxPriorityFeePerGas'));
    assert.ok(tip >= 100n, `eth_maxPriorityFeePerGas ${tip} is below the documented 100 wei floor`);
    const gasPrice = BigInt(await call(url, 'eth_gasPrice'));
    assert.equal(gasPrice, DEV_BASE_FEE + tip);
  });
});

// ---------------------------------------------------------------------------------------------
// 2c. The pool as clients see it: the 'pending' nonce and transactions not yet mined.
// ---------------------------------------------------------------------------------------------
test('pool: back-to-back sends get consecutive nonces; pool transactions are found by hash', async (t) => {
  const url = node.url;
  await t.test('eth_getTransactionCount(addr, "pending") counts executable pool transactions', async () => {
    const me = DEV_ADDRESSES[15];
    const n0 = Number(await call(url, 'eth_getTransactionCount', [me, 'latest']));
    assert.equal(Number(await call(url, 'eth_getTransactionCount', [me, 'pending'])), n0);
    for (let k = 0; k < 3; k++) {
      await call(url, 'eth_sendRawTransaction', [await signTransfer(keys[15], { to: DEV_ADDRESSES[16], nonce: n0 + k })]);
      // Until the next block, the pending nonce must count what is in the pool.
      const latest = Number(await call(url, 'eth_getTransactionCount', [me, 'latest']));
      const pending = Number(await call(url, 'eth_getTransactionCount', [me, 'pending']));
      assert.ok(latest === n0 + 3 || pending === n0 + k + 1,
        `after sending nonce ${n0 + k}: pending nonce ${pending} (latest ${latest})`);
    }
    await waitNonce(url, me, n0 + 3);
  });

  await t.test('ethers Wallet.sendTransaction three times without waiting: all mined', async () => {
    const provider = new ethers.JsonRpcProvider(url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const w = new ethers.Wallet(keys[17], provider);
      const n0 = await provider.getTransactionCount(w.address, 'latest');
      const sent = [];
      for (let k = 0; k < 3; k++) sent.push(await w.sendTransaction({ to: DEV_ADDRESSES[18], value: 1n }));
      assert.deepEqual(sent.map((x) => x.nonce), [n0, n0 + 1, n0 + 2], 'ethers took the pending nonce');
      await waitNonce(url, w.address, n0 + 3);
    } finally {
      provider.destroy();
    }
  });

  await t.test('eth_getTransactionByHash returns a pool transaction with a null block', async () => {
    const me = DEV_ADDRESSES[16];
    const n0 = Number(await call(url, 'eth_getTransactionCount', [me, 'latest']));
    // Nonce n0+1 first: it waits in the pool (queued) until n0 arrives.
    const queuedRaw = await signTransfer(keys[16], { to: DEV_ADDRESSES[17], value: 77n, nonce: n0 + 1 });
    const queued = await call(url, 'eth_sendRawTransaction', [queuedRaw]);
    await sleep(600); // two slots: still not minable
    assert.equal(Number(await call(url, 'eth_getTransactionCount', [me, 'latest'])), n0);
    assert.equal(await call(url, 'eth_getTransactionReceipt', [queued]), null, 'no receipt while pooled');
    const tx = await call(url, 'eth_getTransactionByHash', [queued]);
    assert.ok(tx, 'a pooled transaction is found by hash');
    assert.equal(tx.hash, queued);
    assert.equal(tx.blockHash, null);
    assert.equal(tx.blockNumber, null);
    assert.equal(tx.transactionIndex, null);
    assert.equal(Number(tx.nonce), n0 + 1);
    assert.equal(BigInt(tx.value), 77n);
    assert.equal(lc(tx.from), lc(me));
    // Fill the gap: both are mined, in nonce order.
    await call(url, 'eth_sendRawTransaction', [await signTransfer(keys[16], { to: DEV_ADDRESSES[17], nonce: n0 })]);
    await waitNonce(url, me, n0 + 2);
    const mined = await call(url, 'eth_getTransactionByHash', [queued]);
    assert.notEqual(mined.blockNumber, null);
  });
});

test('transactions stay findable after the lookup index moves them (every 128 blocks) and across a restart', async () => {
  // Its own node: 10 ms blocks, empty ones allowed, so 128 blocks pass in a few seconds.
  const dir = join(work, 'txindex');
  let n = await startSequencer({ datadir: dir, blockTime: 10, buildDuration: 5,
    extraArgs: ['--sequencer.allow-empty-blocks'] });
  try {
    const sendOne = async (nonce) => {
      const raw = await signTransfer(keys[19], { to: DEV_ADDRESSES[18], value: 5n, nonce });
      const h = await call(n.url, 'eth_sendRawTransaction', [raw]);
      return { h, r: await waitReceipt(n.url, h) };
    };
    const early = await sendOne(0);
    const b0 = Number(early.r.blockNumber);
    while (await blockNumber(n.url) < b0 + 140) await sleep(50);
    const late = await sendOne(1);
    const check = async (url, { h, r }) => {
      const again = await call(url, 'eth_getTransactionReceipt', [h]);
      assert.equal(again.blockHash, r.blockHash, `${h}: same block`);
      assert.equal(again.transactionIndex, r.transactionIndex);
      const tx = await call(url, 'eth_getTransactionByHash', [h]);
      assert.equal(tx.blockNumber, r.blockNumber);
    };
    await check(n.url, early); // moved into the index
    await check(n.url, late); // still in its block's list
    const none = `0x${'ab'.repeat(32)}`;
    assert.equal(await call(n.url, 'eth_getTransactionReceipt', [none]), null);
    await n.stop('SIGKILL');
    n = await startSequencer({ datadir: dir, blockTime: 10, buildDuration: 5 });
    await check(n.url, early);
    await check(n.url, late);
  } finally {
    await n.stop('SIGKILL');
  }
});

// ---------------------------------------------------------------------------------------------
// 3. Foundry's cast.
// ---------------------------------------------------------------------------------------------
async function cast(...args) {
  const { stdout } = await execFileP(npmBin('cast'), args,
    { timeout: 20000, env: { ...process.env, ETH_RPC_URL: node.url, NO_COLOR: '1' } });
  return stdout.trim();
}

test('cast: send, block-number, balance, receipt, call', async (t) => {
  const from = DEV_ADDRESSES[4];
  const to = DEV_ADDRESSES[5];
  assert.equal(Number(await cast('block-number', '--rpc-url', node.url)), await blockNumber(node.url));
  const fromBefore = BigInt(await cast('balance', from, '--rpc-url', node.url));
  assert.equal(fromBefore, await balance(node.url, from));
  const toBefore = BigInt(await cast('balance', to, '--rpc-url', node.url));
  const vaultBefore = await balance(node.url, FEE_VAULT);

  // cast call against the L1 gas price oracle: l1BaseFee() is its storage slot 1.
  const l1BaseFee = await cast('call', '--rpc-url', node.url, GPO, 'l1BaseFee()(uint256)');
  const slot1 = await call(node.url, 'eth_getStorageAt', [GPO, '0x1', 'latest']);
  assert.equal(BigInt(l1BaseFee.split(' ')[0]), BigInt(slot1));
  assert.ok(BigInt(slot1) > 0n, 'the dev GPO has an L1 base fee');

  // cast send --async: only eth_sendRawTransaction and the nonce/fee reads.
  const head0 = await blockNumber(node.url);
  const asyncHash = await cast('send', '--rpc-url', node.url, '--private-key', keys[4], '--async',
    to, '--value', '1000wei');
  assert.match(asyncHash, /^0x[0-9a-f]{64}$/);
  await waitNonce(node.url, from, 1);
  assert.ok(Number(await cast('block-number', '--rpc-url', node.url)) > head0, 'cast block-number moved');
  assert.equal(BigInt(await cast('balance', to, '--rpc-url', node.url)), toBefore + 1000n);
  const fee1 = fromBefore - 1000n - BigInt(await cast('balance', from, '--rpc-url', node.url));
  assert.equal(await balance(node.url, FEE_VAULT), vaultBefore + fee1, 'sender\'s fee = vault\'s gain');

  await t.test('cast balance --block (state history)', async () => {
    assert.equal(BigInt(await cast('balance', '--block', String(head0), to, '--rpc-url', node.url)),
      toBefore);
  });

  await t.test('cast proof --block: an earlier block\'s proof (--rpc.eth-proof-window 64)', async () => {
    const p = JSON.parse(await cast('proof', '--block', String(head0), '--rpc-url', node.url, to));
    assert.equal(BigInt(p.balance), toBefore);
    const blk = await call(node.url, 'eth_getBlockByNumber', ['0x' + head0.toString(16), false]);
    assert.equal(ethers.keccak256(p.accountProof[0]), blk.stateRoot, 'the proof is of that block');
    const now = JSON.parse(await cast('proof', '--rpc-url', node.url, to));
    assert.equal(BigInt(now.balance), await balance(node.url, to));
    assert.notEqual(now.accountProof[0], p.accountProof[0]);
  });

  await t.test('cast send (waits for the receipt) and cast receipt', async () => {
    const toB = await balance(node.url, to);
    const fromB = await balance(node.url, from);
    const vaultB = await balance(node.url, FEE_VAULT);
    const sent = JSON.parse(await cast('send', '--rpc-url', node.url, '--private-key', keys[4],
      '--timeout', '10', '--json', to, '--value', '123456789wei'));
    assert.equal(sent.status, '0x1', JSON.stringify(sent));
    assert.match(sent.transactionHash, /^0x[0-9a-f]{64}$/);
    assert.equal(BigInt(sent.gasUsed), 21000n);
    const rc = JSON.parse(await cast('receipt', '--rpc-url', node.url, '--json', sent.transactionHash));
    assert.equal(rc.transactionHash, sent.transactionHash);
    assert.equal(rc.blockHash, sent.blockHash);
    assert.equal(rc.status, '0x1');
    assert.equal(lc(rc.from), lc(from));
    assert.equal(lc(rc.to), lc(to));
    const l1Fee = BigInt(rc.l1Fee ?? (await call(node.url, 'eth_getTransactionReceipt',
      [sent.transactionHash])).l1Fee);
    assert.ok(l1Fee > 0n);
    const fee = 21000n * BigInt(rc.effectiveGasPrice) + l1Fee;
    assert.equal(BigInt(await cast('balance', to, '--rpc-url', node.url)), toB + 123456789n);
    assert.equal(BigInt(await cast('balance', from, '--rpc-url', node.url)), fromB - 123456789n - fee);
    assert.equal(await balance(node.url, FEE_VAULT), vaultB + fee);
    const status = await cast('receipt', '--rpc-url', node.url, sent.transactionHash, 'status');
    assert.match(status, /^(1|true)\b|success/i);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. The guide's log lines, and a signing sequencer (--signer.key-file instead of --test).
// ---------------------------------------------------------------------------------------------
const BUILT = /Built payload .*block_hash=(0x[0-9a-f]{64}) block_number=(\d+) tx_count=(\d+)/g;

test('the guide\'s log lines: "Built payload" and "Broadcast block" on stdout for every block', async () => {
  const n0 = Number(await call(node.url, 'eth_getTransactionCount', [DEV_ADDRESSES[7], 'latest']));
  await call(node.url, 'eth_sendRawTransaction',
    [await signTransfer(keys[7], { to: DEV_ADDRESSES[6], nonce: n0 })]);
  await waitNonce(node.url, DEV_ADDRESSES[7], n0 + 1);
  const head = await blockNumber(node.url);
  await node.waitLog(new RegExp(`Broadcast block .*block_number=${head}\\b`));
  const out = node.stdout();
  const built = [...out.matchAll(BUILT)];
  const byNumber = new Map(built.map((m) => [Number(m[2]), m]));
  for (let n = 1; n <= head; n++) {
    const m = byNumber.get(n);
    assert.ok(m, `no "Built payload" line for block ${n}`);
    const blk = await call(node.url, 'eth_getBlockByNumber', [hex(n), false]);
    assert.equal(m[1], blk.hash, `block ${n}: logged hash`);
    assert.equal(Number(m[3]), blk.transactions.length, `block ${n}: logged tx count`);
    assert.ok(blk.transactions.length > 0, 'without --sequencer.allow-empty-blocks no empty blocks');
    assert.match(out, new RegExp(`Broadcast block .*block_hash=${m[1]}`), `no "Broadcast block" for ${n}`);
  }
  assert.match(out, /Built empty payload .*discarding/, 'idle slots are discarded');
  assert.doesNotMatch(node.stderr(), /Built payload/, 'logs go to stdout');
});

/** keccak256(rlp(header fields)) — with `extra` the block hash, without it the signed digest. */
function headerHash(b, withExtra) {
  const q = (v) => (BigInt(v) === 0n ? '0x' : ethers.toBeHex(BigInt(v)));
  const fields = [b.parentHash, b.sha3Uncles, b.miner, b.stateRoot, b.transactionsRoot,
    b.receiptsRoot, b.logsBloom, q(b.difficulty), q(b.number), q(b.gasLimit), q(b.gasUsed),
    q(b.timestamp)];
  if (withExtra) fields.push(b.extraData);
  fields.push(b.mixHash, b.nonce);
  if (b.baseFeePerGas !== undefined) fields.push(q(b.baseFeePerGas));
  return ethers.keccak256(ethers.encodeRlp(fields));
}

test('signer key file: "Signed block" logged and the stored signature recovers to the key', async (t) => {
  const signer = ethers.Wallet.createRandom();
  const keyFile = join(work, 'sequencer.key');
  writeFileSync(keyFile, `${signer.privateKey}\n`);
  chmodSync(keyFile, 0o600);
  let s = await startSequencer({
    datadir: join(work, 'signer'), signerKeyFile: keyFile, authorizedSigner: signer.address,
  });
  try {
    const raw = await signTransfer(keys[6], { to: DEV_ADDRESSES[7], value: 5n, nonce: 0 });
    const hash = await call(s.url, 'eth_sendRawTransaction', [raw]);
    assert.equal(hash, ethers.keccak256(raw));
    const m = await s.waitLog(/Signed block .*block_hash=(0x[0-9a-f]{64}) block_number=1\b.*signer=(0x[0-9a-fA-F]{40})/);
    assert.equal(lc(m[2]), lc(signer.address), 'the log names the signer address');
    await s.waitLog(new RegExp(`Broadcast block .*block_hash=${m[1]}`));
    const built = [...s.stdout().matchAll(BUILT)].find((x) => x[2] === '1');
    assert.equal(built?.[1], m[1], '"Built payload" then "Signed block" for the same block');
    assert.ok(s.stdout().indexOf(built[0]) < s.stdout().indexOf(m[0]), 'built before signed');
    assert.ok(!s.stdout().toLowerCase().includes(signer.privateKey.slice(2, 34)), 'key not logged');

    await waitNonce(s.url, DEV_ADDRESSES[6], 1);
    const blk = await call(s.url, 'eth_getBlockByNumber', ['0x1', false]);
    assert.equal(blk.hash, m[1]);
    assert.equal(headerHash(blk, true), blk.hash, 'block hash = keccak(rlp(header))');
    assert.deepEqual(blk.transactions, [hash]);

    const r = await rpcRaw(s.url, 'rollupNode_getBlockSignature', [blk.hash]);
    if (r.error?.code === -32601) {
      t.skip('rollupNode_getBlockSignature does not exist (-32601)');
      return;
    }
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.match(r.result, /^0x[0-9a-f]{130}$/, '65-byte signature');
    const v = parseInt(r.result.slice(-2), 16);
    assert.ok(v === 27 || v === 28, `v in the 27/28 convention, got ${v}`);
    const sVal = BigInt(`0x${r.result.slice(66, 130)}`);
    assert.ok(sVal <= ethers.N / 2n, 'low-s');
    const digest = headerHash(blk, false);
    assert.equal(ethers.recoverAddress(digest, r.result), signer.address);

    // No signature for an unknown hash or for genesis (not produced by the sequencer).
    assert.equal(await call(s.url, 'rollupNode_getBlockSignature', [`0x${'11'.repeat(32)}`]), null);
    const genesis = await call(s.url, 'eth_getBlockByNumber', ['0x0', false]);
    assert.equal(await call(s.url, 'rollupNode_getBlockSignature', [genesis.hash]), null);
    const bad = await callError(s.url, 'rollupNode_getBlockSignature', ['0x1234']);
    assert.equal(bad.code, -32602);

    // The signature is stored: after a restart it is still there, and new blocks are signed too.
    assert.deepEqual(await s.stop('SIGTERM'), { code: 0, signal: null });
    s = await startSequencer({
      datadir: join(work, 'signer'), signerKeyFile: keyFile, authorizedSigner: signer.address,
    });
    assert.equal(await call(s.url, 'rollupNode_getBlockSignature', [blk.hash]), r.result);
    await call(s.url, 'eth_sendRawTransaction',
      [await signTransfer(keys[6], { to: DEV_ADDRESSES[7], value: 5n, nonce: 1 })]);
    const m2 = await s.waitLog(/Signed block .*block_hash=(0x[0-9a-f]{64}) block_number=2\b/);
    const sig2 = await call(s.url, 'rollupNode_getBlockSignature', [m2[1]]);
    const blk2 = await call(s.url, 'eth_getBlockByNumber', ['0x2', false]);
    assert.equal(blk2.hash, m2[1]);
    assert.equal(ethers.recoverAddress(headerHash(blk2, false), sig2), signer.address);
  } finally {
    await s.stop('SIGKILL');
  }
});

// ---------------------------------------------------------------------------------------------
// 5. Bad input: JSON-RPC errors, never a crash.
// ---------------------------------------------------------------------------------------------
test('bad input gets JSON-RPC errors and the node keeps serving', async (t) => {
  const url = node.url;
  const k = keys[8];
  const me = DEV_ADDRESSES[8];
  const to = DEV_ADDRESSES[9];

  // A mined transaction to replay.
  const n0 = Number(await call(url, 'eth_getTransactionCount', [me, 'latest']));
  const good = await signTransfer(k, { to, nonce: n0 });
  assert.equal(await call(url, 'eth_sendRawTransaction', [good]), ethers.keccak256(good));
  await waitNonce(url, me, n0 + 1);

  const expectSendError = async (raw, re, what) => {
    const e = await callError(url, 'eth_sendRawTransaction', [raw]);
    assert.match(e.message, re, `${what}: ${JSON.stringify(e)}`);
    assert.ok(e.code < 0, `${what}: code ${e.code}`);
    return e;
  };
  await expectSendError('0xdeadbeef', /decode|rlp|invalid/i, 'garbage bytes');
  await expectSendError('0x', /decode|empty|rlp|invalid/i, 'empty bytes');
  await expectSendError(`0x02${'ff'.repeat(40)}`, /decode|rlp|invalid/i, 'typed garbage');
  assert.equal((await callError(url, 'eth_sendRawTransaction', ['0xzz'])).code, -32602);
  assert.equal((await callError(url, 'eth_sendRawTransaction', [])).code, -32602);
  await expectSendError(await signTransfer(k, { to, nonce: n0 + 1, chainId: 1 }),
    /chain ?id/i, 'wrong chain id');
  await expectSendError(good, /nonce too low/i, 'replay of a mined tx');
  await expectSendError(await signTransfer(k, { to, nonce: n0 + 1, gasLimit: 20000n }),
    /intrinsic gas/i, 'gas below 21000');
  await expectSendError(await signTransfer(k, { to, nonce: n0 + 1, gasLimit: 30_000_000n }),
    /gas limit/i, 'gas above the block gas limit');
  const pauper = ethers.Wallet.createRandom();
  await expectSendError(await signTransfer(pauper.privateKey, { to, nonce: 0 }),
    /insufficient funds/i, 'unfunded sender');
  // Legacy pre-EIP-155 tx from the unfunded key: also insufficient funds, not a crash.
  const legacy = await pauper.signTransaction({ type: 0, nonce: 0, to, gasLimit: 21000n,
    gasPrice: DEV_BASE_FEE, value: 1n });
  await callError(url, 'eth_sendRawTransaction', [legacy]);

  // Protocol-level errors.
  const parse = await postRaw(url, '{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber",');
  assert.equal(parse.body?.error?.code, -32700, parse.text);
  assert.equal(parse.body.id, null);
  const notJson = await postRaw(url, 'hello');
  assert.equal(notJson.body?.error?.code, -32700, notJson.text);
  const noMethod = await callError(url, 'eth_noSuchMethod', []);
  assert.equal(noMethod.code, -32601);
  assert.equal((await callError(url, 'rollupNode_doesNotExist', [])).code, -32601);
  const badAddr = await callError(url, 'eth_getBalance', ['0x1234', 'latest']);
  assert.equal(badAddr.code, -32602);
  assert.equal((await callError(url, 'eth_getBlockByNumber', [])).code, -32602);
  assert.equal((await callError(url, 'eth_getBlockByNumber', ['latest', 'yes'])).code, -32602);
  assert.equal((await callError(url, 'eth_getBalance', [me, 'notatag'])).code, -32602);
  assert.equal((await callError(url, 'eth_call', ['x', 'latest'])).code, -32602);
  const invalidReq = await postRaw(url, '{"jsonrpc":"2.0","id":3,"method":5}');
  assert.equal(invalidReq.body?.error?.code, -32600, invalidReq.text);
  // A batch mixing good and bad calls answers each.
  const batch = await postRaw(url, JSON.stringify([
    { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
    { jsonrpc: '2.0', id: 2, method: 'nope_nope', params: [] },
  ]));
  assert.ok(Array.isArray(batch.body), batch.text);
  const byId = Object.fromEntries(batch.body.map((x) => [x.id, x]));
  assert.equal(byId[1].result, hex(CHAIN_ID));
  assert.equal(byId[2].error.code, -32601);

  // Still alive and still producing blocks.
  assert.equal(node.child.exitCode, null);
  assert.equal(await call(url, 'eth_chainId'), hex(CHAIN_ID));
  const next = await signTransfer(k, { to, nonce: n0 + 1 });
  await call(url, 'eth_sendRawTransaction', [next]);
  await waitNonce(url, me, n0 + 2);
  assert.equal(await balance(url, pauper.address), 0n, 'nothing from the rejected txs was mined');

  await t.test('receipt/transaction lookups: bad params are -32602, unknown hashes null', async () => {
    for (const m of ['eth_getTransactionReceipt', 'eth_getTransactionByHash']) {
      assert.equal((await callError(url, m, ['0x12'])).code, -32602, m);
      assert.equal((await callError(url, m, [])).code, -32602, m);
      assert.equal(await call(url, m, [`0x${'ab'.repeat(32)}`]), null, m);
    }
    assert.equal((await callError(url, 'eth_getLogs', [{ fromBlock: 'nope' }])).code, -32602);
    assert.equal((await callError(url, 'eth_getLogs', [{ address: '0x12' }])).code, -32602);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Restarts: SIGTERM keeps everything; SIGKILL under load keeps a consistent chain and state.
// ---------------------------------------------------------------------------------------------
test('restart after SIGTERM and after SIGKILL under load: chain, balances and nonces survive', async (t) => {
  const datadir = join(work, 'restart');
  let s = await startSequencer({ datadir });
  try {
    // Transfers among dev accounts; fees go to the vault, so the total never changes.
    const senders = [10, 11];
    for (const i of senders) {
      const raw = await signTransfer(keys[i], { to: DEV_ADDRESSES[i + 5], value: 10n ** 18n, nonce: 0 });
      await call(s.url, 'eth_sendRawTransaction', [raw]);
    }
    for (const i of senders) await waitNonce(s.url, DEV_ADDRESSES[i], 1);
    const head1 = await call(s.url, 'eth_getBlockByNumber', ['latest', false]);
    const snap1 = await balances(s.url);
    assert.equal(total(snap1), 20n * GENESIS_BALANCE, 'ETH is conserved (fees go to the vault)');
    assert.ok(snap1[FEE_VAULT] > 0n);

    // --- SIGTERM: clean shutdown, everything back after the restart. ---
    const term = await s.stop('SIGTERM');
    assert.deepEqual(term, { code: 0, signal: null }, `clean exit on SIGTERM\n${s.stderr()}`);
    s = await startSequencer({ datadir });
    assert.match(s.stdout(), new RegExp(`Opened database .*head=${Number(head1.number)}\\b`));
    assert.doesNotMatch(s.stdout(), /genesis written/, 'the genesis is not written again');
    assert.deepEqual(await call(s.url, 'eth_getBlockByNumber', ['latest', false]), head1);
    assert.deepEqual(await balances(s.url), snap1);
    for (const i of senders)
      assert.equal(await call(s.url, 'eth_getTransactionCount', [DEV_ADDRESSES[i], 'latest']), '0x1');
    // New transactions keep working, on top of the old head.
    const after1 = await signTransfer(keys[10], { to: DEV_ADDRESSES[0], value: 7n, nonce: 1 });
    const h = await call(s.url, 'eth_sendRawTransaction', [after1]);
    await waitNonce(s.url, DEV_ADDRESSES[10], 2);
    const b2 = await call(s.url, 'eth_getBlockByNumber', [hex(Number(head1.number) + 1), false]);
    assert.deepEqual(b2.transactions, [h]);
    assert.equal(b2.parentHash, head1.hash);

    // --- SIGKILL while blocks are being produced under a stream of transactions, at several
    // points of the slot (building, sealing/committing, idle), each followed by a restart. ---
    const burst = [12, 13, 14, 15, 16, 17, 18, 19];
    const owner = new Map(); // hash → sender index, over all cycles
    const minedAll = [];
    let base = b2;
    for (const [signal, delay] of [['SIGKILL', 15], ['SIGTERM', 60], ['SIGKILL', 95],
      ['SIGKILL', 175], ['SIGKILL', 245]]) {
      const nonceOf = {};
      for (const i of burst)
        nonceOf[i] = Number(await call(s.url, 'eth_getTransactionCount', [DEV_ADDRESSES[i], 'latest']));
      const baseNonce = { ...nonceOf };
      const sentBy = Object.fromEntries(burst.map((i) => [i, []])); // accepted hashes, nonce order
      let stop = false;
      let sendErrors = 0;
      const rpcRefusals = []; // JSON-RPC errors (not connection errors from the kill)
      const url = s.url;
      const stream = (async () => {
        while (!stop) {
          await Promise.all(burst.map(async (i) => {
            const raw = await signTransfer(keys[i], {
              to: DEV_ADDRESSES[(i + 3) % 20], value: 1000n + BigInt(nonceOf[i]), nonce: nonceOf[i],
            });
            try {
              const hash = await call(url, 'eth_sendRawTransaction', [raw]);
              sentBy[i].push(hash);
              owner.set(hash, i);
              nonceOf[i]++;
            } catch (e) {
              sendErrors++;
              if (e instanceof RpcError) rpcRefusals.push(`${i}/${nonceOf[i]}: ${e.message}`);
            }
          }));
          await sleep(20);
        }
      })();
      const logFrom = s.stdout().length;
      let seenHead;
      let killed;
      try {
        await s.waitLog(/Built payload .*tx_count=[1-9][\s\S]*Built payload .*tx_count=[1-9]/, 10000, logFrom);
        await sleep(delay);
        seenHead = await call(s.url, 'eth_getBlockByNumber', ['latest', false]);
        killed = await s.stop(signal);
      } finally {
        stop = true;
        await stream;
      }
      if (signal === 'SIGKILL') {
        assert.equal(killed.signal, 'SIGKILL');
      } else {
        assert.deepEqual(killed, { code: 0, signal: null }, `clean exit on SIGTERM under load\n${s.stderr()}`);
        assert.match(s.stdout(), /Received SIGTERM, shutting down/);
      }
      assert.deepEqual(rpcRefusals, [], 'valid transactions are accepted while the node runs');
      const loggedBuilt = new Map([...s.stdout().matchAll(BUILT)].map((m) => [Number(m[2]), m[1]]));
      const maxLogged = Math.max(...loggedBuilt.keys());

      s = await startSequencer({ datadir });
      const head = await call(s.url, 'eth_getBlockByNumber', ['latest', false]);
      const H = Number(head.number);
      const what = `${signal} ${delay} ms after a block`;
      assert.ok(H >= Number(seenHead.number), `${what}: head ${H} lost block ${Number(seenHead.number)} served over RPC`);
      assert.ok(H >= maxLogged - 1 && H <= maxLogged, `${what}: head ${H} vs last built ${maxLogged}`);
      if (signal === 'SIGTERM') assert.equal(H, maxLogged, `${what}: a clean shutdown keeps every built block`);
      assert.deepEqual(await call(s.url, 'eth_getBlockByNumber', [head.number, false]), head);
      assert.deepEqual(await call(s.url, 'eth_getBlockByHash', [head.hash, false]), head);
      assert.equal(await call(s.url, 'eth_blockNumber'), head.number);
      assert.match(s.stdout(), new RegExp(`Opened database .*head=${H}\\b`));
      // The tries are written back in batches (decision 0019): a clean stop writes them, a kill
      // leaves the blocks since the last batch to be replayed; either way proofs match the head.
      if (signal === 'SIGTERM') {
        assert.doesNotMatch(s.stdout(), /Replayed blocks into the state tries/, `${what}: no replay`);
      } else {
        assert.match(s.stdout(), new RegExp(`Replayed blocks into the state tries blocks=\\d+ head=${H}\\b`),
          `${what}: the tries caught up`);
      }
      const pf = await call(s.url, 'eth_getProof', [FEE_VAULT, [], 'latest']);
      assert.equal(ethers.keccak256(pf.accountProof[0]), head.stateRoot, `${what}: proof root = state root`);

      // The chain links up to the previous head and matches what was built before the kill;
      // every tx in it is one we sent.
      const included = Object.fromEntries(burst.map((i) => [i, []]));
      let child = head;
      for (let n = H; n > Number(base.number); n--) {
        const blk = n === H ? head : await call(s.url, 'eth_getBlockByNumber', [hex(n), false]);
        if (n !== H) {
          assert.equal(blk.hash, child.parentHash, `${what}: block ${n} links to ${n + 1}`);
          assert.ok(BigInt(child.timestamp) >= BigInt(blk.timestamp), `${what}: timestamps never go back`);
        }
        if (loggedBuilt.has(n)) assert.equal(blk.hash, loggedBuilt.get(n), `${what}: block ${n} is the one built`);
        assert.ok(blk.transactions.length > 0, `${what}: block ${n} is not empty`);
        for (const txh of [...blk.transactions].reverse()) {
          assert.ok(owner.has(txh), `${what}: unknown tx ${txh} in block ${n}`);
          included[owner.get(txh)].unshift(txh);
        }
        child = blk;
      }
      assert.equal(child.parentHash, base.hash, `${what}: the chain extends the previous head`);
      let mined = 0;
      for (const i of burst) {
        const nonce = Number(await call(s.url, 'eth_getTransactionCount', [DEV_ADDRESSES[i], 'latest']));
        assert.equal(nonce - baseNonce[i], included[i].length, `${what}: account ${i}: nonce = txs mined`);
        assert.deepEqual(included[i], sentBy[i].slice(0, included[i].length),
          `${what}: account ${i}: mined in nonce order`);
        mined += included[i].length;
        minedAll.push(...included[i]);
      }
      assert.ok(mined >= 8, `${what}: the stream was being mined (${mined} txs)`);
      t.diagnostic(`${what}: served head ${Number(seenHead.number)}, built up to ${maxLogged}, ` +
        `recovered head ${H}; ${mined} of ${Object.values(sentBy).flat().length} streamed txs mined; ` +
        `${sendErrors} sends refused`);

      // State is consistent: the total is conserved, and 'latest' equals the state at block H.
      const snap = await balances(s.url);
      assert.equal(total(snap), 20n * GENESIS_BALANCE, `${what}: ETH is conserved across the kill`);
      assert.deepEqual(await balances(s.url, head.number), snap);
      base = head;
    }

    // The restarted node extends the recovered head with every sender's next nonce.
    const hashes = [];
    for (const i of burst) {
      const nonce = Number(await call(s.url, 'eth_getTransactionCount', [DEV_ADDRESSES[i], 'latest']));
      const raw = await signTransfer(keys[i], { to: DEV_ADDRESSES[0], value: 1n, nonce });
      hashes.push([i, nonce, await call(s.url, 'eth_sendRawTransaction', [raw])]);
    }
    for (const [i, nonce] of hashes) await waitNonce(s.url, DEV_ADDRESSES[i], nonce + 1);
    const next = await call(s.url, 'eth_getBlockByNumber', [hex(Number(base.number) + 1), false]);
    assert.equal(next.parentHash, base.hash, 'the next block builds on the recovered head');
    assert.equal(total(await balances(s.url)), 20n * GENESIS_BALANCE);

    await t.test('receipts survive the restarts', async () => {
      const r1 = await waitReceipt(s.url, h);
      assert.equal(r1.status, '0x1');
      assert.equal(r1.blockHash, b2.hash);
      for (const [, , hh] of hashes) assert.equal((await waitReceipt(s.url, hh)).status, '0x1');
      for (const hh of minedAll.filter((_, j) => j % 7 === 0)) {
        const r = await waitReceipt(s.url, hh);
        assert.equal(r.status, '0x1');
        assert.ok(Number(r.blockNumber) <= Number(base.number));
      }
      // A full block of the stream: indexes, cumulative gas, and the fee vault's gain equals the
      // sum of the receipts' gasUsed·effectiveGasPrice + l1Fee.
      const r0 = await waitReceipt(s.url, minedAll[0]);
      const blk = await call(s.url, 'eth_getBlockByNumber', [r0.blockNumber, false]);
      assert.ok(blk.transactions.length > 1);
      let sum = 0n;
      for (const [j, hh] of blk.transactions.entries()) {
        const r = await waitReceipt(s.url, hh);
        assert.equal(r.blockHash, blk.hash);
        assert.equal(Number(r.transactionIndex), j);
        assert.equal(BigInt(r.cumulativeGasUsed), 21000n * BigInt(j + 1));
        sum += BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice) + BigInt(r.l1Fee);
      }
      const prev = hex(Number(blk.number) - 1);
      assert.equal(await balance(s.url, FEE_VAULT, blk.number) - await balance(s.url, FEE_VAULT, prev),
        sum, 'vault gain of a block = sum of its receipts\' fees');
    });
  } finally {
    await s.stop('SIGKILL');
  }
});
