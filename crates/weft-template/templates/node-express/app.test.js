import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app } from './app.js';

test('todos are added and listed', async () => {
  const server = app.listen(0);
  const base = `http://127.0.0.1:${server.address().port}/api/todos`;
  try {
    const bad = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(bad.status, 400);
    const made = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'write tests' }) });
    assert.equal(made.status, 201);
    assert.deepEqual(await (await fetch(base)).json(), [{ id: 1, title: 'write tests', done: false }]);
  } finally {
    server.close();
  }
});
