// The README's promise: `npm start` serves the bundled passage.toml + routes.toml. Same files, port 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startPassage } from '../../router/app.ts';
import { loadConfigFile } from '../../router/config/load.ts';
import { ping } from '../helpers/minecraft.ts';

test('the bundled example config starts a router whose server list says what to do next', async () => {
  const config = loadConfigFile(new URL('../../passage.toml', import.meta.url).pathname);
  assert.equal(config.auth.mode, 'online');
  const running = await startPassage(config, { log: pino({ level: 'silent' }), listen: { host: '127.0.0.1', port: 0 }, adminListen: { host: '127.0.0.1', port: 0 } });
  try {
    const status = await ping(running.address.port, 'localhost', '1.21.4');
    assert.match(status.description.text, /Edit routes\.toml/);
    assert.match(status.favicon, /^data:image\/png;base64,/);
    assert.equal((await fetch(`http://127.0.0.1:${running.adminAddress.port}/readyz`)).status, 200);
  } finally {
    await running.stop(0);
  }
});
