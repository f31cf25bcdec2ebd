// Drives the npm `consul` client, unchanged, against a ConfigCluster node's Consul KV face.
// Env: CC_HOST, CC_PORT, CC_TOKEN, CC_PREFIX. Exits non-zero (with the failed assertion) on failure.
'use strict';
const assert = require('assert');
const Consul = require('consul');

const opts = { host: process.env.CC_HOST, port: process.env.CC_PORT, defaults: { token: process.env.CC_TOKEN } };
const consul = new Consul(opts);
const other = new Consul(opts);
const p = process.env.CC_PREFIX;

async function rejects(promise, status) {
  try {
    await promise;
  } catch (e) {
    assert.strictEqual(e.statusCode, status, `expected HTTP ${status}, got ${e.statusCode}: ${e.message}`);
    return e;
  }
  assert.fail(`expected HTTP ${status}, the call succeeded`);
}

// A refused cas answers `false`, which this client hands back as a falsy result (undefined).
async function refused(promise) {
  const result = await promise;
  assert.ok(result === false || result === undefined, `expected a refusal, got ${JSON.stringify(result)}`);
}

async function main() {
  // set / get (the seed-style call), flags
  assert.strictEqual(await consul.kv.set(`${p}/database/host`, 'db.internal'), true);
  assert.strictEqual(await consul.kv.set(`${p}/database/port`, '5432'), true);
  assert.strictEqual(await consul.kv.set({ key: `${p}/feature`, value: 'on', flags: 42 }), true);
  const host = await consul.kv.get(`${p}/database/host`);
  assert.strictEqual(host.Key, `${p}/database/host`);
  assert.strictEqual(host.Value, 'db.internal');
  assert.ok(host.ModifyIndex > 0 && host.CreateIndex === host.ModifyIndex, JSON.stringify(host));
  assert.strictEqual(host.LockIndex, 0);
  assert.strictEqual((await consul.kv.get(`${p}/feature`)).Flags, 42);
  assert.strictEqual(await consul.kv.get(`${p}/missing`), undefined);

  // raw bytes come back exactly
  const bytes = Buffer.from([0xff, 0x00, 0x80, 0x41, 0x0a]);
  assert.strictEqual(await consul.kv.set(`${p}/blob`, bytes), true);
  const raw = await consul.kv.get({ key: `${p}/blob`, raw: true });
  assert.ok(Buffer.from(raw).equals(bytes), `raw value ${Buffer.from(raw).toString('hex')}`);
  const decoded = await consul.kv.get({ key: `${p}/blob`, buffer: true });
  assert.ok(decoded.Value.equals(bytes));

  // keys (with a separator) and recurse
  assert.deepStrictEqual(await consul.kv.keys({ key: `${p}/`, separator: '/' }), [`${p}/blob`, `${p}/database/`, `${p}/feature`]);
  assert.deepStrictEqual(await consul.kv.keys(`${p}/database/`), [`${p}/database/host`, `${p}/database/port`]);
  const tree = await consul.kv.get({ key: `${p}/database/`, recurse: true });
  assert.deepStrictEqual(tree.map((e) => [e.Key, e.Value]), [[`${p}/database/host`, 'db.internal'], [`${p}/database/port`, '5432']]);

  // check-and-set on ModifyIndex; cas=0 only when absent
  assert.strictEqual(await consul.kv.set({ key: `${p}/database/host`, value: 'db2.internal', cas: host.ModifyIndex }), true);
  await refused(consul.kv.set({ key: `${p}/database/host`, value: 'lost', cas: host.ModifyIndex }));
  await refused(consul.kv.set({ key: `${p}/database/host`, value: 'lost', cas: 0 }));
  assert.strictEqual((await consul.kv.get(`${p}/database/host`)).Value, 'db2.internal');
  assert.strictEqual(await consul.kv.set({ key: `${p}/fresh`, value: 'first', cas: 0 }), true);
  await refused(consul.kv.set({ key: `${p}/fresh`, value: 'second', cas: 0 }));

  // delete: cas mismatch changes nothing; plain delete; recurse
  const fresh = await consul.kv.get(`${p}/fresh`);
  await refused(consul.kv.del({ key: `${p}/fresh`, cas: fresh.ModifyIndex - 1 }));
  assert.strictEqual((await consul.kv.get(`${p}/fresh`)).Value, 'first');
  assert.strictEqual(await consul.kv.del({ key: `${p}/fresh`, cas: fresh.ModifyIndex }), true);
  assert.strictEqual(await consul.kv.get(`${p}/fresh`), undefined);
  assert.strictEqual(await consul.kv.del(`${p}/feature`), true);
  assert.strictEqual(await consul.kv.get(`${p}/feature`), undefined);

  // transactions: all or nothing
  const b64 = (s) => Buffer.from(s).toString('base64');
  const current = await consul.kv.get(`${p}/database/port`);
  const txn = await consul.transaction.create([
    { KV: { Verb: 'cas', Key: `${p}/database/port`, Value: b64('6432'), Index: current.ModifyIndex } },
    { KV: { Verb: 'set', Key: `${p}/txn/a`, Value: b64('A') } },
    { KV: { Verb: 'get', Key: `${p}/database/host` } },
  ]);
  assert.strictEqual(txn.Errors, null);
  assert.strictEqual(txn.Results.length, 3);
  assert.strictEqual(Buffer.from(txn.Results[2].KV.Value, 'base64').toString(), 'db2.internal');
  assert.ok(txn.Results[0].KV.ModifyIndex > current.ModifyIndex);
  assert.strictEqual(txn.Results[0].KV.ModifyIndex, txn.Results[1].KV.ModifyIndex, 'one revision for the whole transaction');
  const failed = await rejects(consul.transaction.create([
    { KV: { Verb: 'set', Key: `${p}/txn/b`, Value: b64('B') } },
    { KV: { Verb: 'cas', Key: `${p}/database/port`, Value: b64('7000'), Index: current.ModifyIndex } },
  ]), 409);
  assert.ok(/index is stale/.test(JSON.stringify(failed.response ? failed.response.body : failed.message)) || failed.statusCode === 409);
  assert.strictEqual(await consul.kv.get(`${p}/txn/b`), undefined, 'a failed transaction writes nothing');
  assert.strictEqual((await consul.kv.get(`${p}/database/port`)).Value, '6432');
  await rejects(consul.transaction.create([{ KV: { Verb: 'set', Key: `${p}/txn/c`, Value: 'not base64!' } }]), 400);
  await rejects(consul.transaction.create([{ KV: { Verb: 'lock', Key: `${p}/txn/c`, Session: 'x' } }]), 400);

  // a blocking get (the client's watch) is woken by a set from another client
  const key = `${p}/watched`;
  await consul.kv.set(key, 'v1');
  const values = [];
  const watch = consul.watch({ method: consul.kv.get, options: { key, wait: '30s' } });
  const woken = new Promise((resolve, reject) => {
    watch.on('change', (data) => {
      values.push(data && data.Value);
      if (values.length === 1) setTimeout(() => other.kv.set(key, 'v2').catch(reject), 300);
      if (data && data.Value === 'v2') resolve();
    });
    watch.on('error', reject);
  });
  await woken;
  watch.end();
  assert.deepStrictEqual(values, ['v1', 'v2']);

  // recursive delete
  assert.strictEqual(await consul.kv.del({ key: `${p}/`, recurse: true }), true);
  assert.strictEqual(await consul.kv.get({ key: `${p}/`, recurse: true }), undefined);
  console.log('consul client: OK');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
