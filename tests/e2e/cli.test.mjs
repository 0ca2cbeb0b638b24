// The `rollup-node` command line as a user meets it: the guide's command lines, every error the
// issue lists (one "error: " line on stderr, exit status 1, nothing on disk, the key never
// printed), --help, --version and RUST_LOG. Node's built-in runner only, no npm packages.
//
//   ROLLUP_NODE_BIN=target/h-x/rollup-node node --test tests/e2e/cli.test.mjs
//
// The binary defaults to target/release/rollup-node; a missing binary fails the suite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.ROLLUP_NODE_BIN ?? join(repoRoot, 'target', 'release', 'rollup-node');
const SHARED = process.env.RN_SHARED_DIR ?? join(repoRoot, '..', 'shared');
const GUIDE = join(SHARED, 'seed', '000_048a71ef4b723bdd.txt');
const SPEC = join(SHARED, 'docs', 'ROLLUP-NODE.md');

// Hardhat/anvil account #0: a key whose digits we grep every output for.
const KEY_HEX = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const KEY_ADDR = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const SECP_N = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
const L1_URL = 'https://eth-mainnet.g.alchemy.com/v2/YOUR_API_KEY';

const work = mkdtempSync(join(tmpdir(), 'rn-cli-'));
chmodSync(work, 0o755); // the unreadable-file case runs as `nobody` when we are root
after(() => rmSync(work, { recursive: true, force: true }));
let seq = 0;
const fresh = (name) => join(work, `${name}-${++seq}`);

/** A key file with `content` and `mode`; returns its path. */
function keyFile(content, mode = 0o600) {
  const p = fresh('key');
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}

function leaksKey(text) {
  const t = text.toLowerCase();
  // Any 16-digit window of the key would be a leak.
  for (let i = 0; i + 16 <= 64; i += 8) if (t.includes(KEY_HEX.slice(i, i + 16))) return true;
  return false;
}

// Sanitizer builds (make asan) keep their options; nothing else of the caller's environment
// (RUST_LOG, XDG_DATA_HOME, NO_COLOR...) leaks into the runs.
const sanitizerEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => /^(ASAN|UBSAN|LSAN)_OPTIONS$/.test(k)));

/** Run the binary; every run is checked for key leaks. */
function run(args, { env = {}, cwd = work, uid, gid } = {}) {
  const opts = {
    encoding: 'utf8',
    cwd,
    timeout: 30000,
    env: { PATH: process.env.PATH, HOME: join(work, 'home'), ...sanitizerEnv, ...env },
  };
  if (uid !== undefined) Object.assign(opts, { uid, gid });
  const r = spawnSync(BIN, args, opts);
  assert.equal(r.error, undefined, `cannot run ${BIN}: ${r.error}`);
  assert.equal(r.signal, null, `killed by ${r.signal}\n${r.stderr}`);
  assert.ok(!leaksKey(r.stdout + r.stderr), `the key leaked into the output:\n${r.stdout}${r.stderr}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Expect a refusal: status 1 and exactly one stderr line "error: ..." containing each `want`. */
function expectError(args, wants, opts = {}) {
  const r = run(args, opts);
  assert.equal(r.code, 1, `exit status for ${args.join(' ')}\n${r.out}${r.err}`);
  const lines = r.err.split('\n').filter((l) => l.length);
  assert.equal(lines.length, 1, `one stderr line expected, got:\n${r.err}`);
  assert.match(lines[0], /^error: /);
  for (const w of [].concat(wants)) assert.ok(lines[0].includes(w), `'${lines[0]}' lacks '${w}'`);
  assert.equal(r.out, '', 'nothing on stdout for a refusal');
  return lines[0];
}

/** The four `./target/release/rollup-node node ...` command lines of the guide, as argv. */
function guideCommands() {
  const lines = readFileSync(GUIDE, 'utf8').split('\n');
  const cmds = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('./target/release/rollup-node node')) continue;
    let text = lines[i];
    while (text.trimEnd().endsWith('\\')) text = text.trimEnd().slice(0, -1) + ' ' + lines[++i];
    cmds.push(text.trim().split(/\s+/).slice(1));
  }
  return cmds;
}

function withValue(args, flag, value) {
  const i = args.indexOf(flag);
  assert.ok(i >= 0, `${flag} in ${args.join(' ')}`);
  const copy = [...args];
  copy[i + 1] = value;
  return copy;
}

/** A production-like sequencer command with a key file; the datadir is fresh (never created). */
function sequencerArgs(key, datadir) {
  return ['node', '--chain', 'scroll-mainnet', '--datadir', datadir, '--l1.url', L1_URL,
    '--sequencer.enabled', '--signer.key-file', key];
}

test('the binary under test exists', () => {
  assert.ok(existsSync(BIN), `rollup-node binary not found at ${BIN} (set ROLLUP_NODE_BIN)`);
});

test('the guide has four rollup-node command lines', () => {
  const cmds = guideCommands();
  assert.equal(cmds.length, 4);
  for (const c of cmds) assert.equal(c[0], 'node');
});

test("the guide's command lines validate as printed (--check-config)", () => {
  const key = keyFile(`0x${KEY_HEX}\n`);
  const cwd = fresh('cwd');
  mkdirSync(cwd);
  const [dev, prodKey, prodKms, sepolia] = guideCommands();
  const cases = [
    [dev, ['chain=dev', 'chain_id=1337', 'signer=none', 'test=true',
      'http=0.0.0.0:8545 api=admin,debug,eth,net,trace,txpool,web3,rpc,reth,ots,flashbots,miner,mev']],
    [withValue(prodKey, '--signer.key-file', key),
      ['chain=scroll-mainnet', 'chain_id=534352', `signer=key-file signer_address=${KEY_ADDR}`,
        'l1_inclusion_mode=finalized:2', 'block_time_ms=1000', 'payload_building_duration_ms=800',
        'fee_recipient=0x5300000000000000000000000000000000000005',
        'http=0.0.0.0:8545 api=debug,eth,net,trace,web3']],
    [prodKms, ['chain=scroll-mainnet', 'signer=aws-kms',
      'kms_key_id=arn:aws:kms:us-west-2:123456789012:key/YOUR-KEY-ID']],
    [withValue(sepolia, '--signer.key-file', key),
      ['chain=scroll-sepolia', 'chain_id=534351', `signer_address=${KEY_ADDR}`,
        'http=0.0.0.0:8545 api=eth,net,web3']],
  ];
  for (const [args, wants] of cases) {
    const datadir = args[args.indexOf('--datadir') + 1];
    const existed = existsSync(resolve(cwd, datadir));
    const r = run([...args, '--check-config'], { cwd });
    assert.equal(r.code, 0, `${args.join(' ')}\n${r.out}${r.err}`);
    assert.equal(r.err, '');
    const line = r.out.split('\n').find((l) => l.startsWith('config ok: '));
    assert.ok(line, r.out);
    for (const w of wants) assert.ok(line.includes(w), `'${line}' lacks '${w}'`);
    if (!existed) assert.ok(!existsSync(resolve(cwd, datadir)), `${datadir} was created`);
  }
});

test('sequencer without a signer is refused', () => {
  const d = fresh('dd');
  expectError(['node', '--chain', 'scroll-mainnet', '--datadir', d, '--l1.url', L1_URL,
    '--sequencer.enabled'],
  'Either signer key file or AWS KMS key ID is required when sequencer is enabled');
  assert.ok(!existsSync(d));
  // --test lifts the requirement; so does noop consensus.
  assert.equal(run(['node', '--datadir', d, '--sequencer.enabled', '--test', '--check-config']).code, 0);
  assert.equal(run(['node', '--datadir', d, '--sequencer.enabled', '--consensus.algorithm', 'noop',
    '--check-config']).code, 0);
  assert.ok(!existsSync(d));
});

test('both signer flags are refused', () => {
  const d = fresh('dd');
  const key = keyFile(`0x${KEY_HEX}\n`);
  expectError([...sequencerArgs(key, d), '--signer.aws-kms-key-id',
    'arn:aws:kms:us-west-2:123456789012:key/12345678-1234-1234-1234-123456789012'],
  'cannot specify more than one signer key source');
  assert.ok(!existsSync(d));
});

test('system-contract consensus needs an authorized signer or an L1 URL', () => {
  const d = fresh('dd');
  expectError(['node', '--chain', 'scroll-sepolia', '--datadir', d],
    ['System contract consensus requires', '--consensus.authorized-signer', '--l1.url']);
  assert.equal(run(['node', '--chain', 'scroll-sepolia', '--datadir', d,
    '--consensus.authorized-signer', '0x687E0E85AD67ff71aC134CF61b65905b58Ab43b2',
    '--check-config']).code, 0);
  assert.ok(!existsSync(d));
});

test('key file errors name the file, never the key', () => {
  const cases = [
    ['missing', join(work, 'no-such-dir', 'sequencer.key'), 'No such file or directory'],
    ['empty', keyFile(''), 'is empty'],
    ['only whitespace', keyFile(' \n\t\n'), 'is empty'],
    ['63 digits', keyFile(`0x${KEY_HEX.slice(0, 63)}\n`), 'holds 63 hex digits, expected 64'],
    ['65 digits', keyFile(`0x${KEY_HEX}0\n`), 'holds 65 hex digits, expected 64'],
    ['space inside', keyFile(`${KEY_HEX.slice(0, 32)} ${KEY_HEX.slice(32)}\n`), 'whitespace inside the key'],
    ['newline inside', keyFile(`0x${KEY_HEX.slice(0, 32)}\n${KEY_HEX.slice(32)}\n`), 'whitespace inside the key'],
    ['other character', keyFile(`0x${KEY_HEX.slice(0, 63)}z\n`), 'not a hex digit'],
    ['quoted', keyFile(`"0x${KEY_HEX}"\n`), 'not a hex digit'],
    ['zero', keyFile(`0x${'0'.repeat(64)}\n`), 'not hold a valid secp256k1 private key'],
    ['curve order', keyFile(`0x${SECP_N}\n`), 'not hold a valid secp256k1 private key'],
    ['above the order', keyFile(`0x${'f'.repeat(64)}\n`), 'not hold a valid secp256k1 private key'],
    ['a directory', work, 'is not a regular file'],
    ['too large', keyFile(`0x${KEY_HEX}\n${' '.repeat(5000)}`), 'too large'],
  ];
  for (const [what, path, want] of cases) {
    const d = fresh('dd');
    const line = expectError(sequencerArgs(path, d), [path, want]);
    assert.ok(line.includes('signer key file'), `${what}: ${line}`);
    assert.ok(!existsSync(d), `${what}: datadir created`);
  }
});

test('an unreadable key file is refused', () => {
  const path = keyFile(`0x${KEY_HEX}\n`, 0o000);
  const d = fresh('dd');
  // root reads any file: run as nobody then (the binary and the work dir are world-readable).
  const asNobody = process.getuid && process.getuid() === 0 ? { uid: 65534, gid: 65534 } : {};
  expectError(sequencerArgs(path, d), [`cannot read signer key file ${path}`, 'Permission denied'],
    asNobody);
  assert.ok(!existsSync(d));
});

test('surrounding whitespace in the key file is trimmed', () => {
  for (const content of [`0x${KEY_HEX}\n`, `  0x${KEY_HEX}  \n`, `\t${KEY_HEX.toUpperCase()}\r\n`,
    `\n\n0X${KEY_HEX}`]) {
    const d = fresh('dd');
    const r = run([...sequencerArgs(keyFile(content), d), '--check-config']);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(`signer_address=${KEY_ADDR}`), r.out);
    assert.ok(!existsSync(d));
  }
});

test('a key file readable by group or others gets a warning', () => {
  const d = fresh('dd');
  let r;
  for (const mode of [0o644, 0o640, 0o604]) {
    const loose = keyFile(`0x${KEY_HEX}\n`, mode);
    r = run([...sequencerArgs(loose, d), '--check-config']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(` WARN rollup_node::signer: Signer key file is readable by group or others; run chmod 600 ${loose}\n`));
  }
  const tight = keyFile(`0x${KEY_HEX}\n`, 0o600);
  r = run([...sequencerArgs(tight, d), '--check-config']);
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.out.includes('WARN'), r.out);
});

test('invalid values are refused with the valid forms', () => {
  const d = fresh('dd');
  const base = ['node', '--test', '--datadir', d];
  expectError([...base, '--sequencer.l1-inclusion-mode', 'latest'],
    ["invalid value 'latest' for '--sequencer.l1-inclusion-mode <MODE>'", 'finalized:N', 'depth:N']);
  expectError([...base, '--sequencer.l1-inclusion-mode', 'depth:ten'],
    ['finalized:N', 'depth:N']);
  expectError([...base, '--sequencer.fee-recipient', '0x53000000000000000000000000000000000005'],
    "invalid value '0x53000000000000000000000000000000000005' for '--sequencer.fee-recipient <ADDRESS>'");
  expectError([...base, '--consensus.authorized-signer', 'bob'],
    "for '--consensus.authorized-signer <ADDRESS>'");
  expectError([...base, '--sequencer.block-time', 'fast'],
    "invalid value 'fast' for '--sequencer.block-time <MS>'");
  expectError([...base, '--http.port', '70000'], "invalid value '70000' for '--http.port <PORT>'");
  expectError([...base, '--http.addr', 'my-host'], "for '--http.addr <HTTP_ADDR>'");
  expectError([...base, '--http.api', 'eth,wallet'],
    ["unknown RPC namespace 'wallet'", 'admin', 'mev']);
  expectError([...base, '--l1.url', 'eth-mainnet.example:8545'], "for '--l1.url <URL>'");
  expectError([...base, '--signer.aws-kms-key-id', 'sequencer-key'],
    ['--signer.aws-kms-key-id <ARN>', 'arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID']);
  expectError([...base, '--rpc.rollup-node', 'yes'], 'expected true or false');
  expectError([...base, '--log.stdout.format', 'xml'], 'possible values: terminal, json, log-fmt');
  expectError([...base, '--txpool.max-account-slots', '0'], '--txpool.max-account-slots must be at least 1');
  expectError([...base, '--txpool.pending-max-count', '0'], '--txpool.pending-max-count must be at least 1');
  expectError([...base, '--txpool.pricebump', '5000'], '--txpool.pricebump must be at most 1000');
  expectError([...base, '--rpc.eth-proof-window', '1209601'], '--rpc.eth-proof-window must be at most 1209600');
  expectError([...base, '--txpool.queued-max-count', 'many'],
    "invalid value 'many' for '--txpool.queued-max-count <COUNT>'");
  assert.ok(!existsSync(d));
});

test('unknown flags get the closest suggestion', () => {
  expectError(['node', '--test', '--sequencer.blocktime', '1000'],
    "unexpected argument '--sequencer.blocktime' found; tip: a similar argument exists: '--sequencer.block-time'");
  expectError(['node', '--signer.keyfile=/k'],
    "unexpected argument '--signer.keyfile' found; tip: a similar argument exists: '--signer.key-file'");
  expectError(['node', '--frobnicate'], "unexpected argument '--frobnicate' found");
  expectError(['nod'], "unrecognized subcommand 'nod'; tip: a similar subcommand exists: 'node'");
  expectError([], 'a subcommand is required');
});

test('usage mistakes: repeated flag, missing value, stray argument', () => {
  expectError(['node', '--http.port', '1', '--http.port', '2'],
    "the argument '--http.port <PORT>' cannot be used multiple times");
  expectError(['node', '--test', '--datadir'], "a value is required for '--datadir <DATA_DIR>'");
  expectError(['node', '--test', 'extra'], "unexpected argument 'extra' found");
  expectError(['node', '--test=yes'], "unexpected value 'yes' for '--test' found");
});

test('unknown chains are refused', () => {
  const d = fresh('dd');
  expectError(['node', '--test', '--datadir', d, '--chain', 'scroll-mainet'],
    ["unknown chain 'scroll-mainet'", "tip: a similar chain exists: 'scroll-mainnet'"]);
  expectError(['node', '--test', '--datadir', d, '--chain', join(work, 'missing.json')],
    'unknown chain');
  const bad = fresh('genesis.json');
  writeFileSync(bad, '{"config": ');
  expectError(['node', '--test', '--datadir', d, '--chain', bad], 'invalid chain genesis file');
  assert.equal(run(['node', '--test', '--datadir', d, '--chain',
    join(SHARED, 'fixtures', 'scroll', 'genesis', 'dev.json'), '--check-config']).code, 0);
  assert.ok(!existsSync(d));
});

test('--help lists every flag of the guide and of ROLLUP-NODE.md §1', () => {
  const r = run(['node', '--help']);
  assert.equal(r.code, 0);
  assert.equal(r.err, '');
  const help = r.out;
  assert.deepEqual(run(['node', '-h']).out, help);
  assert.deepEqual(run(['help', 'node']).out, help);
  // "--signer.*" (the guide's troubleshooting) stands for the family of --signer. flags.
  const flagsIn = (text) => new Set(text.match(/--[a-z0-9][a-z0-9._-]*[a-z0-9_](?:\.\*)?/g));
  const guideFlags = flagsIn(readFileSync(GUIDE, 'utf8'));
  // `cargo build --release --bin rollup-node` in the guide: cargo's flags, not ours.
  guideFlags.delete('--release');
  guideFlags.delete('--bin');
  assert.ok(guideFlags.size >= 20, `only ${guideFlags.size} flags parsed from the guide`);
  const spec = readFileSync(SPEC, 'utf8');
  const section1 = spec.slice(spec.indexOf('## 1.'), spec.indexOf('## 2.'));
  const specFlags = flagsIn(section1);
  assert.ok(specFlags.size >= 50, `only ${specFlags.size} flags parsed from ROLLUP-NODE.md`);
  for (const f of [...guideFlags, ...specFlags]) {
    if (f.endsWith('.*')) {
      assert.match(help, new RegExp(`^ {6}${f.slice(0, -1).replace(/\./g, '\\.')}[a-z]`, 'm'), f);
      continue;
    }
    // A definition line: "      --flag ..." or "  -d, --flag ...".
    assert.match(help, new RegExp(`^(?:  -[a-zA-Z], | {6})${f.replace(/\./g, '\\.')}(?: |$)`, 'm'),
      `${f} missing from rollup-node node --help`);
  }
  assert.ok(help.includes('  -d, --datadir <DATA_DIR>'));
  assert.ok(help.includes('  -v, --verbosity...'));
  assert.ok(help.includes('      --sequencer.block-time <MS>\n          Time between blocks in milliseconds [default: 1000]'));
  assert.ok(help.includes('[default: finalized:2]'));
  assert.ok(help.includes('[default: 0x5300000000000000000000000000000000000005]'));
  for (const group of ['Node:', 'Datadir:', 'RPC (HTTP/WS):', 'Sequencer:', 'Signer', 'L1 provider:',
    'Blob provider:', 'Consensus:', 'Logging:']) assert.ok(help.includes(`\n${group}`), group);
  const top = run(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.out, /\n {2}node +Start the node/);
  assert.match(top.out, /\n {2}evm +/);
});

test('--version prints the version and commit', () => {
  for (const args of [['--version'], ['-V'], ['node', '--version']]) {
    const r = run(args);
    assert.equal(r.code, 0);
    assert.match(r.out, /^rollup-node \d+\.\d+\.\d+ \((?:[0-9a-f]{7,40}|unknown commit)\)\n$/);
  }
});

test('RUST_LOG, -v, -q and the log flags', () => {
  const d = fresh('dd');
  const dev = ['node', '--test', '--datadir', d, '--check-config'];
  const debugLine = /DEBUG rollup_node::cli: Configuration chain=dev/;
  let r = run(dev);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.out, debugLine);
  // The guide's filters parse without a warning, and rollup=debug reaches rollup_node::cli.
  for (const filter of ['info,scroll=debug,rollup=debug',
    'info,scroll=debug,rollup_node::sequencer=trace,scroll::engine=debug',
    'rollup_node::sequencer=trace', 'rollup_node::signer=debug', 'scroll::watcher=debug']) {
    r = run(dev, { env: { RUST_LOG: filter } });
    assert.equal(r.code, 0);
    assert.equal(r.err, '', `RUST_LOG=${filter}: ${r.err}`);
  }
  r = run(dev, { env: { RUST_LOG: 'info,scroll=debug,rollup=debug' } });
  assert.match(r.out, debugLine);
  // A bad directive is reported and the rest still applies (tracing's from_env_lossy).
  r = run(dev, { env: { RUST_LOG: 'rollup=loud,rollup_node::cli=debug' } });
  assert.equal(r.code, 0);
  assert.match(r.err, /^warning: .*'loud'/);
  assert.match(r.out, debugLine);
  assert.match(run([...dev, '-vvvv']).out, debugLine);
  assert.doesNotMatch(run([...dev, '-vv']).out, debugLine);
  assert.match(run([...dev, '--log.stdout.filter', 'rollup_node=debug']).out, debugLine);
  // The flag's directive wins over RUST_LOG for the same target.
  assert.doesNotMatch(run([...dev, '--log.stdout.filter', 'rollup_node::cli=info'],
    { env: { RUST_LOG: 'rollup_node::cli=debug' } }).out, debugLine);
  expectError([...dev, '--log.stdout.filter', 'rollup=loud'], "unknown level 'loud'");
  // -q: no log lines at all, only the summary.
  r = run([...dev, '-q', '--sequencer.enabled', '--sequencer.block-time', '100'],
    { env: { RUST_LOG: 'trace' } });
  assert.equal(r.code, 0);
  assert.deepEqual(r.out.split('\n').filter((l) => l).map((l) => l.slice(0, 10)), ['config ok:']);
  // JSON lines.
  r = run([...dev, '--sequencer.enabled', '--sequencer.block-time', '100',
    '--log.stdout.format', 'json']);
  const warn = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.ok(warn.some((o) => o.level === 'WARN' && o.target === 'rollup_node::cli' &&
    o.fields.message.startsWith('Payload building duration exceeds the block time')), r.out);
  assert.ok(!existsSync(d));
});

test('evm statetest runs state tests and refuses bad input', () => {
  const dir = join(SHARED, 'fixtures', 'ethereum-tests', 'ethereum-tests', 'GeneralStateTests',
    'stExample');
  let r = run(['evm', 'statetest', dir]);
  assert.equal(r.code, 0, r.out + r.err);
  const last = r.out.trim().split('\n').pop();
  const m = /^(\d+) passed, 0 failed$/.exec(last);
  assert.ok(m && Number(m[1]) > 0, `last line: ${last}`);
  // --run narrows the set; --trace writes EIP-3155 JSON lines to stderr.
  const add = join(SHARED, 'fixtures', 'ethereum-tests', 'ethereum-tests', 'GeneralStateTests',
    'VMTests', 'vmArithmeticTest', 'add.json');
  r = run(['evm', 'statetest', '--fork', 'Cancun', '--trace', add]);
  assert.equal(r.code, 0, r.out + r.err);
  const step = JSON.parse(r.err.split('\n').find((l) => l.startsWith('{"pc"')));
  assert.equal(step.opName, 'PUSH1');
  assert.equal(step.depth, 1);
  expectError(['evm', 'statetest', join(work, 'missing.json')], 'no such file or directory');
  expectError(['evm', 'statetest', '--fork', 'Frontier', add], "invalid --fork 'Frontier'");
});
