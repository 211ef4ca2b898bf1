import { createServer, type AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from './support/app';

interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'smtp-password-in-clear';

/** Returns a loopback port that nothing listens on, by binding it and letting it go. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));

  return port;
}

describe('SMTP settings', () => {
  let api: TestApp;
  let smtp: SMTPServer;
  let smtpPort: number;
  const received: ReceivedMail[] = [];

  const settings = (port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    enabled: true,
    host: '127.0.0.1',
    port,
    secure: false,
    username: SMTP_USER,
    from: 'ects@example.com',
    ...extra,
  });

  const storedRow = async (): Promise<string> => {
    const rows: { value: string }[] = await api.dataSource.query("SELECT value FROM settings WHERE `key` = 'smtp'");

    return rows[0]?.value ?? '';
  };

  beforeAll(async () => {
    api = await startTestApp();

    smtp = new SMTPServer({
      secure: false,
      // The server speaks plain SMTP, because STARTTLS would need a certificate the client trusts.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: false,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          received.push({
            from,
            to: session.envelope.rcptTo.map((address) => address.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => smtp.close(resolve));
    await api.close();
  });

  it('test mail before configuring is 409', async () => {
    const response = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'ops@example.com' },
    });

    expect(response.status).toBe(409);
    expect(response.body.message).toMatch(/not configured/);
  });

  it('returns defaults before configuring', async () => {
    const response = await api.request('GET', '/api/settings/smtp', { token: api.adminToken });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      enabled: false,
      host: '',
      port: 587,
      secure: false,
      username: '',
      passwordSet: false,
      from: '',
    });
  });

  it('never returns the password', async () => {
    const saved = await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: settings(smtpPort, { password: SMTP_PASSWORD }),
    });
    expect(saved.status).toBe(200);
    expect(saved.body.passwordSet).toBe(true);
    expect(saved.body).not.toHaveProperty('password');
    expect(JSON.stringify(saved.body)).not.toContain(SMTP_PASSWORD);

    const fetched = await api.request('GET', '/api/settings/smtp', { token: api.adminToken });
    expect(fetched.body).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      username: SMTP_USER,
      passwordSet: true,
      from: 'ects@example.com',
    });
  });

  it('stores the password encrypted', async () => {
    const row = await storedRow();

    expect(row).toContain('127.0.0.1');
    expect(row).not.toContain(SMTP_PASSWORD);
    expect(row).toMatch(/"sealedPassword":"v1:/);
  });

  it('delivers a test mail', async () => {
    const before = received.length;
    const response = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'oncall@example.com' },
    });

    expect(response.status).toBe(200);
    expect(response.body.messageId).toMatch(/@/);
    expect(response.body.accepted).toEqual(['oncall@example.com']);
    expect(received).toHaveLength(before + 1);
    const mail = received[received.length - 1];
    expect(mail.to).toEqual(['oncall@example.com']);
    expect(mail.from).toBe('ects@example.com');
    expect(mail.raw).toMatch(/^Subject: ECTS test mail\r?$/m);
  });

  it('omitted password keeps it', async () => {
    const sealedBefore = await storedRow();
    const saved = await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: settings(smtpPort, { from: 'cron@example.com' }),
    });
    expect(saved.body.passwordSet).toBe(true);
    expect(JSON.parse(await storedRow()).sealedPassword).toBe(JSON.parse(sealedBefore).sealedPassword);

    // The server accepts only the right password, so a delivered mail shows the kept one still decrypts.
    const before = received.length;
    const response = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'kept@example.com' },
    });
    expect(response.status).toBe(200);
    expect(received).toHaveLength(before + 1);
    expect(received[received.length - 1].from).toBe('cron@example.com');
  });

  it('empty password removes it', async () => {
    const saved = await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: settings(smtpPort, { password: '' }),
    });
    expect(saved.body.passwordSet).toBe(false);
    expect(JSON.parse(await storedRow()).sealedPassword).toBeNull();

    const rejected = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'ops@example.com' },
    });
    expect(rejected.status).toBe(502);

    await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: settings(smtpPort, { password: SMTP_PASSWORD }),
    });
  });

  it('wrong password is 502', async () => {
    await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: settings(smtpPort, { password: 'wrong-password' }),
    });
    const response = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'ops@example.com' },
    });

    expect(response.status).toBe(502);
    expect(response.body.message).toContain(`127.0.0.1:${smtpPort}`);

    await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: settings(smtpPort, { password: SMTP_PASSWORD }),
    });
  });

  it('unreachable server is 502 naming it', async () => {
    const port = await unusedPort();
    await api.request('PUT', '/api/settings/smtp', { token: api.adminToken, body: settings(port) });

    const response = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'ops@example.com' },
    });
    expect(response.status).toBe(502);
    expect(response.body.message).toContain(`127.0.0.1:${port}`);
  });

  it('disabled SMTP is 409', async () => {
    await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: settings(smtpPort, { enabled: false }),
    });
    const response = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'ops@example.com' },
    });

    expect(response.status).toBe(409);
  });

  it('rejects invalid settings', async () => {
    const response = await api.request('PUT', '/api/settings/smtp', {
      token: api.adminToken,
      body: { enabled: true, host: '', port: 70000, secure: 'no', from: 'not-an-address' },
    });
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field);

    expect(response.status).toBe(400);
    expect(fields).toContain('host');
    expect(fields).toContain('port');
    expect(fields).toContain('secure');
    expect(fields).toContain('from');
  });

  it('rejects an invalid test recipient', async () => {
    const response = await api.request('POST', '/api/settings/smtp/test', {
      token: api.adminToken,
      body: { to: 'nobody' },
    });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('to');
  });

  it('operator gets 403', async () => {
    const operator = await api.userWithRole('operator');

    expect((await api.request('GET', '/api/settings/smtp', { token: operator.token })).status).toBe(403);
    expect(
      (await api.request('PUT', '/api/settings/smtp', { token: operator.token, body: settings(smtpPort) })).status,
    ).toBe(403);
  });
});
