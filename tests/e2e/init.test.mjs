// `rollup-node init`: the genesis hashes of SCROLL.md, idempotence, and refusing another chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBin, tempDir } from './lib/procs.mjs';

function init(...args) {
  const r = spawnSync(nodeBin, ['init', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, hash: r.stdout.trim().split('\n').pop() };
}

test('named chains print the canonical genesis hashes', () => {
  const dir = tempDir();
  try {
    const main = init('--chain', 'scroll-mainnet', '--datadir', join(dir, 'm'));
    assert.equal(main.code, 0, main.err);
    assert.equal(main.hash, '0xbbc05efd412b7cd47a2ed0e5ddfcf87af251e414ea4c801d78b6784513180a80');
    assert.match(main.out, /Genesis block written chain=scroll-mainnet chain_id=534352/);
    const sep = init('--chain', 'scroll-sepolia', '--datadir', join(dir, 's'));
    assert.equal(sep.code, 0, sep.err);
    assert.equal(sep.hash, '0xaa62d1a8b2bffa9e5d2368b63aae0d98d54928bd713125e3fd9e5c896c68592c');
    assert.ok(existsSync(join(dir, 'm', 'db', 'data.mdb')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('genesis files hash as SCROLL.md §8.5 computes', () => {
  const dir = tempDir();
  const shared = process.env.RN_SHARED_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared');
  try {
    const dev = init('--chain', join(shared, 'fixtures/scroll/genesis/dev.json'), '-d', join(dir, 'a'));
    assert.equal(dev.code, 0, dev.err);
    assert.equal(dev.hash, '0x36777f11ea59cc21675e6c66d3b415c08895aba928e2427838b3b75a1a43d154');
    const e2e = init(`--chain=${join(shared, 'fixtures/scroll/genesis/l2reth-genesis-e2e.json')}`,
      `--datadir=${join(dir, 'b')}`);
    assert.equal(e2e.code, 0, e2e.err);
    assert.equal(e2e.hash, '0x664fc6d263697001b33a9fd9b72ab27e7cc83f4b02f0313454845c8b8fada153');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init is idempotent and refuses a datadir of another chain', () => {
  const dir = tempDir();
  try {
    const first = init('--chain', 'dev', '--datadir', dir);
    assert.equal(first.code, 0, first.err);
    const again = init('--chain', 'dev', '--datadir', dir);
    assert.equal(again.code, 0, again.err);
    assert.equal(again.hash, first.hash);
    assert.match(again.out, /Genesis block already present/);
    const other = init('--chain', 'scroll-mainnet', '--datadir', dir);
    assert.equal(other.code, 1);
    assert.match(other.err, /^error: the datadir holds another chain .* not scroll-mainnet/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments are one-line errors and write nothing', () => {
  const dir = tempDir();
  rmSync(dir, { recursive: true, force: true });
  const bad = init('--chain', 'scroll-mainet', '--datadir', dir);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^error: unknown chain 'scroll-mainet'/);
  assert.equal(existsSync(dir), false);
  const flag = init('--chian', 'dev');
  assert.equal(flag.code, 1);
  assert.match(flag.err, /unexpected argument '--chian'/);
});

test('dump-genesis writes a genesis file that initialises the same chain', () => {
  const dir = tempDir();
  const shared = process.env.RN_SHARED_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared');
  try {
    for (const chain of ['dev', join(shared, 'fixtures/scroll/genesis/l2reth-genesis-e2e.json')]) {
      const d = spawnSync(nodeBin, ['dump-genesis', '--chain', chain], { encoding: 'utf8' });
      assert.equal(d.status, 0, d.stderr);
      const g = JSON.parse(d.stdout);
      assert.equal(typeof g.config.scroll.maxTxPayloadBytesPerBlock, 'number');
      const file = join(dir, `g-${Math.random()}.json`);
      writeFileSync(file, d.stdout);
      const a = init('--chain', chain, '-d', join(dir, `a-${Math.random()}`));
      const b = init('--chain', file, '-d', join(dir, `b-${Math.random()}`));
      assert.equal(a.code, 0, a.err);
      assert.equal(b.code, 0, b.err);
      assert.equal(b.hash, a.hash, `round trip of ${chain}`);
    }
    // A changed config is a different chain (the bench raises the payload cap this way).
    const d = spawnSync(nodeBin, ['dump-genesis'], { encoding: 'utf8' });
    const g = JSON.parse(d.stdout);
    g.gasLimit = '0x3b9aca00';
    const file = join(dir, 'big.json');
    writeFileSync(file, JSON.stringify(g));
    const big = init('--chain', file, '-d', join(dir, 'big'));
    assert.equal(big.code, 0, big.err);
    assert.notEqual(big.hash, init('--chain', 'dev', '-d', join(dir, 'dev')).hash);
    // Mainnet's genesis header carries a zktrie root the file cannot hold: a warning says so.
    const m = spawnSync(nodeBin, ['dump-genesis', '--chain', 'scroll-mainnet'], { encoding: 'utf8' });
    assert.equal(m.status, 0);
    assert.match(m.stderr, /^warning: .*zktrie/);
    assert.equal(JSON.parse(m.stdout).config.chainId, 534352);
    const bad = spawnSync(nodeBin, ['dump-genesis', '--chain', 'nope'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error: /);
    const stray = spawnSync(nodeBin, ['dump-genesis', 'x'], { encoding: 'utf8' });
    assert.equal(stray.status, 1);
    assert.match(stray.stderr, /^error: unexpected argument 'x'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
