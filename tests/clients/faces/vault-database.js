// Drives the npm `node-vault` client, unchanged, against a ConfigCluster node's database engine.
// Env: CC_ADDR, CC_TOKEN, CC_ROLE (a configured role), CC_MODE ("read" or "revoke"), CC_LEASE (for
// revoke), CC_SECRET_FILE (read: where the issued password is written, mode 0600, for the test to
// log in with; it is never printed). Prints one JSON line "RESULT {...}" (lease and username only).
'use strict';
const assert = require('assert');
const fs = require('fs');
const vault = require('node-vault')({ apiVersion: 'v1', endpoint: process.env.CC_ADDR, token: process.env.CC_TOKEN });

async function main() {
  if (process.env.CC_MODE === 'read') {
    const creds = await vault.read(`database/creds/${process.env.CC_ROLE}`);
    assert.match(creds.lease_id, new RegExp(`^database/creds/${process.env.CC_ROLE}/`));
    assert.strictEqual(creds.renewable, true);
    assert.ok(creds.lease_duration > 0);
    assert.ok(creds.data.username && creds.data.password);
    fs.writeFileSync(process.env.CC_SECRET_FILE, creds.data.password, { mode: 0o600 });
    console.log('RESULT ' + JSON.stringify({ lease_id: creds.lease_id, lease_duration: creds.lease_duration, username: creds.data.username }));
  } else {
    await vault.revoke({ lease_id: process.env.CC_LEASE });
    console.log('RESULT ' + JSON.stringify({ revoked: process.env.CC_LEASE }));
  }
  console.log('node-vault database: OK');
}

main().catch((e) => {
  console.error(e && e.message ? e.message : e);
  process.exit(1);
});
