// Drives the npm `node-vault` client, unchanged, against a ConfigCluster node's transit face.
// Env: CC_ADDR (http://host:port), CC_TOKEN, CC_KEY (a fresh key name), CC_PLAINTEXT (a marker
// the test then looks for on disk). Prints one JSON line "RESULT {...}" for the test to read.
'use strict';
const assert = require('assert');
const vault = require('node-vault')({ apiVersion: 'v1', endpoint: process.env.CC_ADDR, token: process.env.CC_TOKEN });

const name = process.env.CC_KEY;
const b64 = (s) => Buffer.from(s).toString('base64');
const unb64 = (s) => Buffer.from(s, 'base64').toString();

async function rejects(promise, status, pattern) {
  try {
    await promise;
  } catch (e) {
    assert.strictEqual(e.response && e.response.statusCode, status, `expected HTTP ${status}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return;
  }
  assert.fail(`expected HTTP ${status}, the call succeeded`);
}

async function main() {
  const plaintext = process.env.CC_PLAINTEXT;
  await vault.transitCreateKey({ name });
  const created = await vault.transitReadKey({ name });
  assert.strictEqual(created.data.type, 'aes256-gcm96');
  assert.strictEqual(created.data.latest_version, 1);
  assert.deepStrictEqual(Object.keys(created.data.keys), ['1']);
  assert.ok((await vault.transitListKeys()).data.keys.includes(name));

  // encrypt / decrypt (the seed-style calls)
  const encrypted = await vault.encryptData({ name, plaintext: b64(plaintext) });
  const v1 = encrypted.data.ciphertext;
  assert.match(v1, /^vault:v1:/);
  assert.ok(!v1.includes(plaintext));
  assert.strictEqual(unb64((await vault.decryptData({ name, ciphertext: v1 })).data.plaintext), plaintext);

  // context as associated data
  const withContext = (await vault.write(`transit/encrypt/${name}`, { plaintext: b64('ctx'), context: b64('tenant-a') })).data.ciphertext;
  assert.strictEqual(unb64((await vault.write(`transit/decrypt/${name}`, { ciphertext: withContext, context: b64('tenant-a') })).data.plaintext), 'ctx');
  await rejects(vault.write(`transit/decrypt/${name}`, { ciphertext: withContext, context: b64('tenant-b') }), 400, /message authentication failed/);

  // rotate, rewrap; old ciphertexts still open until min_decryption_version moves
  const rotated = await vault.write(`transit/keys/${name}/rotate`, {});
  assert.strictEqual(rotated.data.latest_version, 2);
  const v2 = (await vault.encryptData({ name, plaintext: b64(plaintext) })).data.ciphertext;
  assert.match(v2, /^vault:v2:/);
  const rewrapped = await vault.rewrapData({ name, ciphertext: v1 });
  assert.match(rewrapped.data.ciphertext, /^vault:v2:/);
  assert.strictEqual(unb64((await vault.decryptData({ name, ciphertext: rewrapped.data.ciphertext })).data.plaintext), plaintext);

  // batch
  const batch = await vault.write(`transit/encrypt/${name}`, { batch_input: [{ plaintext: b64('one') }, { plaintext: b64('two') }] });
  assert.strictEqual(batch.data.batch_results.length, 2);
  const opened = await vault.write(`transit/decrypt/${name}`, { batch_input: batch.data.batch_results.map((r) => ({ ciphertext: r.ciphertext })) });
  assert.deepStrictEqual(opened.data.batch_results.map((r) => unb64(r.plaintext)), ['one', 'two']);

  // data keys, HMAC and verify, random
  const dataKey = await vault.write(`transit/datakey/plaintext/${name}`, {});
  assert.strictEqual(Buffer.from(dataKey.data.plaintext, 'base64').length, 32);
  assert.strictEqual((await vault.decryptData({ name, ciphertext: dataKey.data.ciphertext })).data.plaintext, dataKey.data.plaintext);
  assert.strictEqual((await vault.write(`transit/datakey/wrapped/${name}`, { bits: 128 })).data.plaintext, undefined);
  const hmac = (await vault.write(`transit/hmac/${name}/sha2-512`, { input: b64('message') })).data.hmac;
  assert.match(hmac, /^vault:v2:/);
  assert.strictEqual((await vault.write(`transit/verify/${name}/sha2-512`, { input: b64('message'), hmac })).data.valid, true);
  assert.strictEqual((await vault.write(`transit/verify/${name}/sha2-512`, { input: b64('messagf'), hmac })).data.valid, false);
  assert.strictEqual(Buffer.from((await vault.write('transit/random/24', {})).data.random_bytes, 'base64').length, 24);

  // bad input: Vault's codes and shape
  await rejects(vault.encryptData({ name, plaintext: 'not base64!' }), 400, /base64/);
  await rejects(vault.decryptData({ name, ciphertext: v1.replace('vault:v1:', 'vault:v9:') }), 400, /invalid key version/);
  const tampered = v2.slice(0, -4) + (v2.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA');
  await rejects(vault.decryptData({ name, ciphertext: tampered }), 400, /cipher: message authentication failed/);
  await rejects(vault.decryptData({ name: 'no-such-key', ciphertext: v1 }), 400, /encryption key not found/);
  await rejects(vault.transitReadKey({ name: 'no-such-key' }), 404);
  await rejects(vault.transitDeleteKey({ name }), 400, /deletion is not allowed/);

  // min_decryption_version retires v1
  await vault.write(`transit/keys/${name}/config`, { min_decryption_version: 2 });
  await rejects(vault.decryptData({ name, ciphertext: v1 }), 400, /disallowed by policy/);
  assert.strictEqual(unb64((await vault.decryptData({ name, ciphertext: v2 })).data.plaintext), plaintext);

  console.log('RESULT ' + JSON.stringify({ v1, v2 }));
  console.log('node-vault transit: OK');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
