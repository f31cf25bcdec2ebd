// Drives ConfigCluster's Vault face with the unchanged npm node-vault client.
// VAULT_ADDR: a node's HTTP URL (the test passes a follower's); VAULT_TOKEN: an admin token.
// Prints one line per step and never a secret value; exits non-zero on the first failure.
'use strict';

const assert = require('node:assert/strict');
const vault = require('node-vault');

const endpoint = process.env.VAULT_ADDR;
const adminToken = process.env.VAULT_TOKEN;
const admin = vault({ endpoint, token: adminToken });

// Values are made up per run; they are only compared, never printed.
const run = Date.now().toString(36);
const first = { openai: `sk-first-${run}`, stripe: `sk-stripe-${run}` };
const second = { openai: `sk-second-${run}`, stripe: `sk-stripe-${run}` };

async function rejects(promise, status, what) {
    try {
        await promise;
    } catch (error) {
        assert.ok(error.response, `${what}: expected an API error, got ${error.message}`);
        assert.equal(error.response.statusCode, status, `${what}: status`);
        return error.response.body;
    }
    assert.fail(`${what}: expected status ${status}, but the call succeeded`);
}

async function step(name, body) {
    await body();
    console.log(`ok ${name}`);
}

async function main() {
    await step('health on a standby', async () => {
        const health = await admin.health();
        assert.equal(health.initialized, true);
        assert.equal(health.sealed, false);
        assert.equal(health.standby, true);
        assert.equal(typeof health.version, 'string');
        const ok = await admin.health({ standbyok: true });
        assert.equal(ok.standby, true);
    });

    await step('seal status', async () => {
        const status = await admin.status();
        assert.equal(status.sealed, false);
        assert.equal(status.t, 1);
    });

    await step('write and read', async () => {
        const written = await admin.write('secret/data/api-keys', { data: first });
        assert.equal(written.data.version, 1);
        assert.equal(written.data.destroyed, false);
        const read = await admin.read('secret/data/api-keys');
        assert.deepEqual(read.data.data, first);
        assert.equal(read.data.metadata.version, 1);
        assert.equal(read.data.metadata.deletion_time, '');
        assert.equal(typeof read.request_id, 'string');
        assert.equal(read.lease_id, '');
    });

    await step('check-and-set', async () => {
        const written = await admin.write('secret/data/api-keys', { options: { cas: 1 }, data: second });
        assert.equal(written.data.version, 2);
        const body = await rejects(admin.write('secret/data/api-keys', { options: { cas: 1 }, data: first }), 400, 'cas mismatch');
        assert.match(body.errors[0], /check-and-set parameter did not match/);
        const read = await admin.read('secret/data/api-keys');
        assert.deepEqual(read.data.data, second, 'a refused cas write changes nothing');
        await rejects(admin.write('secret/data/fresh-only', { options: { cas: 5 }, data: first }), 400, 'cas on a new key');
    });

    await step('versions', async () => {
        const v1 = await admin.read('secret/data/api-keys?version=1');
        assert.deepEqual(v1.data.data, first);
        assert.equal(v1.data.metadata.version, 1);
        const missing = await rejects(admin.read('secret/data/api-keys?version=9'), 404, 'missing version');
        assert.deepEqual(missing.errors, []);
    });

    await step('metadata', async () => {
        await admin.write('secret/metadata/api-keys', { max_versions: 5, custom_metadata: { owner: 'team-a' } });
        const meta = await admin.read('secret/metadata/api-keys');
        assert.equal(meta.data.current_version, 2);
        assert.equal(meta.data.max_versions, 5);
        assert.equal(meta.data.custom_metadata.owner, 'team-a');
        assert.deepEqual(Object.keys(meta.data.versions).sort(), ['1', '2']);
        assert.equal(meta.data.versions['1'].destroyed, false);
        assert.equal(typeof meta.data.created_time, 'string');
    });

    await step('cas_required and max_versions', async () => {
        await admin.write('secret/metadata/cas-only', { cas_required: true });
        const body = await rejects(admin.write('secret/data/cas-only', { data: first }), 400, 'write without cas');
        assert.deepEqual(body.errors, ['check-and-set parameter required for this call']);
        const created = await admin.write('secret/data/cas-only', { options: { cas: 0 }, data: first });
        assert.equal(created.data.version, 1);
        await admin.write('secret/metadata/short', { max_versions: 2 });
        for (let i = 0; i < 3; i++) await admin.write('secret/data/short', { data: { n: String(i) } });
        const meta = await admin.read('secret/metadata/short');
        assert.deepEqual(Object.keys(meta.data.versions).sort(), ['2', '3']);
        assert.equal(meta.data.oldest_version, 2);
        await rejects(admin.read('secret/data/short?version=1'), 404, 'a version beyond max_versions');
        const config = await admin.read('secret/config');
        assert.equal(config.data.max_versions, 0);
    });

    await step('list', async () => {
        await admin.write('secret/data/llm/openai/api_key', { data: { value: `sk-llm-${run}` } });
        await admin.write('secret/data/llm/anthropic/api_key', { data: { value: `sk-llm2-${run}` } });
        const root = await admin.list('secret/metadata/');
        assert.ok(root.data.keys.includes('api-keys'), 'api-keys listed');
        assert.ok(root.data.keys.includes('llm/'), 'folders end with /');
        const llm = await admin.list('secret/metadata/llm/');
        assert.deepEqual(llm.data.keys, ['anthropic/', 'openai/']);
        const viaGet = vault({ endpoint, token: adminToken, noCustomHTTPVerbs: true });
        const same = await viaGet.list('secret/metadata/llm/');
        assert.deepEqual(same.data.keys, ['anthropic/', 'openai/']);
        await rejects(admin.list('secret/metadata/nothing-here/'), 404, 'empty folder');
    });

    await step('delete and undelete', async () => {
        await admin.delete('secret/data/api-keys');
        const deleted = await rejects(admin.read('secret/data/api-keys'), 404, 'deleted version');
        assert.equal(deleted.data.data, null);
        assert.notEqual(deleted.data.metadata.deletion_time, '');
        assert.equal(deleted.data.metadata.destroyed, false);
        await admin.write('secret/undelete/api-keys', { versions: [2] });
        const back = await admin.read('secret/data/api-keys');
        assert.deepEqual(back.data.data, second);
        await admin.write('secret/delete/api-keys', { versions: [1] });
        await rejects(admin.read('secret/data/api-keys?version=1'), 404, 'soft-deleted v1');
    });

    await step('destroy', async () => {
        await admin.write('secret/destroy/api-keys', { versions: [1] });
        const destroyed = await rejects(admin.read('secret/data/api-keys?version=1'), 404, 'destroyed v1');
        assert.equal(destroyed.data.metadata.destroyed, true);
        await admin.write('secret/undelete/api-keys', { versions: [1] });
        await rejects(admin.read('secret/data/api-keys?version=1'), 404, 'a destroyed version stays destroyed');
        const meta = await admin.read('secret/metadata/api-keys');
        assert.equal(meta.data.versions['1'].destroyed, true);
        assert.equal(meta.data.versions['2'].destroyed, false);
    });

    await step('delete metadata', async () => {
        await admin.delete('secret/metadata/llm/anthropic/api_key');
        const gone = await rejects(admin.read('secret/data/llm/anthropic/api_key'), 404, 'deleted key');
        assert.deepEqual(gone.errors, []);
        await rejects(admin.read('secret/metadata/llm/anthropic/api_key'), 404, 'deleted metadata');
        const llm = await admin.list('secret/metadata/llm/');
        assert.deepEqual(llm.data.keys, ['openai/']);
    });

    await step('token lookup-self', async () => {
        const self = await admin.tokenLookupSelf();
        assert.equal(self.data.id, adminToken);
        assert.ok(Array.isArray(self.data.policies));
        assert.equal(typeof self.data.accessor, 'string');
    });

    await step('token create with a limited policy', async () => {
        // The policy is ConfigCluster's: a rule on the key pattern secret/llm/* grants read.
        const response = await fetch(`${endpoint}/acl/policies/llm-read`, {
            method: 'PUT',
            headers: { 'X-Vault-Token': adminToken, 'Content-Type': 'application/json' },
            body: JSON.stringify({ rules: [{ path: 'secret/llm/*', capabilities: ['read', 'list'] }] }),
        });
        assert.equal(response.status, 200);
        const creator = vault({ endpoint, token: adminToken });
        const created = await creator.tokenCreate({ policies: ['llm-read'], ttl: '1h', renewable: true, display_name: 'llm-app' });
        assert.equal(typeof created.auth.client_token, 'string');
        assert.equal(typeof created.auth.accessor, 'string');
        assert.deepEqual(created.auth.policies, ['llm-read']);
        assert.equal(created.auth.lease_duration, 3600);
        assert.equal(created.auth.renewable, true);

        const limited = vault({ endpoint, token: created.auth.client_token });
        const allowed = await limited.read('secret/data/llm/openai/api_key');
        assert.equal(typeof allowed.data.data.value, 'string');
        const denied = await rejects(limited.read('secret/data/api-keys'), 403, 'read outside the policy');
        assert.deepEqual(denied.errors, ['permission denied']);
        await rejects(limited.write('secret/data/llm/openai/api_key', { data: { value: 'x' } }), 403, 'write without the capability');
        const self = await limited.tokenLookupSelf();
        assert.deepEqual(self.data.policies, ['llm-read']);
        assert.equal(self.data.renewable, true);
        assert.ok(self.data.ttl > 3500 && self.data.ttl <= 3600, `ttl ${self.data.ttl}`);
        const renewed = await limited.tokenRenewSelf({ increment: '2h' });
        assert.equal(renewed.auth.lease_duration, 7200);
        const after = await limited.tokenLookupSelf();
        assert.ok(after.data.ttl > 7000, `ttl after renew ${after.data.ttl}`);
        await limited.tokenRevokeSelf();
        await rejects(limited.tokenLookupSelf(), 401, 'revoked token');
    });

    await step('mounts', async () => {
        await admin.mount({ mount_point: 'team-kv', type: 'kv', options: { version: '2' }, description: 'team secrets' });
        const mounts = await admin.mounts();
        assert.ok(mounts.data['team-kv/'], 'new mount listed');
        assert.ok(mounts.data['secret/'], 'default mount listed');
        await admin.write('team-kv/data/app/db', { data: { password: `pw-${run}` } });
        const read = await admin.read('team-kv/data/app/db');
        assert.equal(read.data.metadata.version, 1);
        const unknown = await rejects(admin.read('no-such-mount/data/x'), 404, 'unknown mount');
        assert.match(unknown.errors[0], /no handler for route/);
        await rejects(admin.mount({ mount_point: 'team-kv', type: 'kv', options: { version: '2' } }), 400, 'mount twice');
        await admin.unmount({ mount_point: 'team-kv' });
        await rejects(admin.read('team-kv/data/app/db'), 404, 'unmounted');
    });
}

main().then(() => console.log('all steps passed'), (error) => {
    // The assertion message names the step and field; values are left out on purpose.
    console.error(`FAILED: ${error.message.split('\n')[0]}`);
    process.exit(1);
});
