// Drives the npm `node-vault` client, unchanged, against a ConfigCluster node's AppRole and JWT
// auth methods. Env: VAULT_ADDR, VAULT_TOKEN (admin), JWT_PEM (the signer's public key), JWT_ISSUER,
// JWT_AUDIENCE, JWT_GOOD / JWT_EXPIRED / JWT_WRONG_AUDIENCE (service-account tokens minted by the
// test). Prints no token, secret id or JWT; ends with "all steps passed".
'use strict';
const assert = require('assert');
const nodeVault = require('node-vault');

const endpoint = process.env.VAULT_ADDR;
const admin = nodeVault({ apiVersion: 'v1', endpoint, token: process.env.VAULT_TOKEN });
const fresh = () => nodeVault({ apiVersion: 'v1', endpoint });

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
  await admin.write('secret/data/app/db', { data: { user: 'app' } });

  // AppRole: role, role id, secret id (two uses), login; the client takes the token from the answer.
  await admin.addApproleRole({ role_name: 'web', policies: 'app-read', token_ttl: 600, token_max_ttl: 1200, secret_id_num_uses: 2, secret_id_ttl: 600 });
  assert.ok((await admin.approleRoles()).data.keys.includes('web'));
  const role = await admin.getApproleRole({ role_name: 'web' });
  assert.strictEqual(role.data.token_ttl, 600);
  assert.deepStrictEqual(role.data.token_policies, ['app-read']);
  const roleId = (await admin.getApproleRoleId({ role_name: 'web' })).data.role_id;
  const secret = await admin.getApproleRoleSecret({ role_name: 'web' });
  const secretId = secret.data.secret_id;
  assert.strictEqual(secret.data.secret_id_num_uses, 2);

  const app = fresh();
  const login = await app.approleLogin({ role_id: roleId, secret_id: secretId });
  assert.ok(login.auth.client_token.length > 20);
  assert.ok(login.auth.accessor.length > 0);
  assert.deepStrictEqual(login.auth.policies, ['app-read']);
  assert.strictEqual(login.auth.lease_duration, 600);
  assert.strictEqual(login.auth.renewable, true);
  assert.strictEqual(app.token, login.auth.client_token);
  assert.strictEqual((await app.read('secret/data/app/db')).data.data.user, 'app');
  await rejects(app.write('secret/data/app/db', { data: { user: 'mallory' } }), 403);
  const renewed = await app.tokenRenewSelf({ increment: 300 });
  assert.strictEqual(renewed.auth.renewable, true);
  assert.ok(renewed.auth.lease_duration <= 300 && renewed.auth.lease_duration >= 299);

  await fresh().approleLogin({ role_id: roleId, secret_id: secretId });
  await rejects(fresh().approleLogin({ role_id: roleId, secret_id: secretId }), 400, /invalid role or secret ID/);

  // JWT / Kubernetes service-account tokens, verified offline against the configured public key.
  await admin.write('auth/jwt/config', { jwt_validation_pubkeys: [process.env.JWT_PEM], bound_issuer: process.env.JWT_ISSUER });
  await admin.write('auth/jwt/role/k8s-web', {
    role_type: 'jwt',
    bound_audiences: [process.env.JWT_AUDIENCE],
    bound_subject: 'system:serviceaccount:shop:web',
    bound_claims: { 'kubernetes.io/namespace': 'shop' },
    user_claim: 'sub',
    token_policies: ['app-read'],
    token_ttl: 300,
    token_max_ttl: 600,
  });
  const pod = fresh();
  const jwtLogin = await pod.write('auth/jwt/login', { role: 'k8s-web', jwt: process.env.JWT_GOOD });
  assert.strictEqual(jwtLogin.auth.lease_duration, 300);
  assert.deepStrictEqual(jwtLogin.auth.policies, ['app-read']);
  pod.token = jwtLogin.auth.client_token;
  assert.strictEqual((await pod.read('secret/data/app/db')).data.data.user, 'app');
  assert.strictEqual((await pod.tokenLookupSelf()).data.display_name, 'jwt-system:serviceaccount:shop:web');
  await rejects(fresh().write('auth/jwt/login', { role: 'k8s-web', jwt: process.env.JWT_EXPIRED }), 400, /expired/);
  await rejects(fresh().write('auth/jwt/login', { role: 'k8s-web', jwt: process.env.JWT_WRONG_AUDIENCE }), 400, /audience/);
  console.log('all steps passed');
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
