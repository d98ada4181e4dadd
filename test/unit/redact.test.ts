/** Passwords in database URLs: masked for people, taken out for client tools, scrubbed from driver messages. */
import { describe, expect, it } from 'vitest';
import { maskDatabaseUrl, passwordOf, passwordsOf, redact, sslPasswordOf, withoutPasswords } from '../../src/util/redact.js';

describe('maskDatabaseUrl', () => {
  it('masks the password of the user info, keeping the user', () => {
    expect(maskDatabaseUrl('postgres://admin:s3cret@db.internal:5432/members')).toBe('postgres://admin:****@db.internal:5432/members');
    expect(maskDatabaseUrl('postgresql://:s3cret@db/members')).toBe('postgresql://:****@db/members');
    expect(maskDatabaseUrl('postgres://p%40ss:w%2Frd@db/x')).toBe('postgres://p%40ss:****@db/x');
    expect(maskDatabaseUrl('postgres://admin:p@ss@db/x')).toBe('postgres://admin:****@db/x'); // an unencoded @ in the password
  });

  it('masks password and sslpassword query parameters, whatever their case or encoding, and keeps the rest as written', () => {
    expect(maskDatabaseUrl('postgres://app@db/members?password=s3cret')).toBe('postgres://app@db/members?password=****');
    expect(maskDatabaseUrl('postgres://db/m?sslmode=require&password=s3cret&application_name=a%20b')).toBe(
      'postgres://db/m?sslmode=require&password=****&application_name=a%20b',
    );
    expect(maskDatabaseUrl('postgres://db/m?sslkey=/k.pem&sslpassword=keypass')).toBe('postgres://db/m?sslkey=/k.pem&sslpassword=****');
    expect(maskDatabaseUrl('postgres://db/m?PASSWORD=a&pass%77ord=b')).toBe('postgres://db/m?PASSWORD=****&pass%77ord=****');
    expect(maskDatabaseUrl('postgres://u:one@db/m?password=two&password=three')).toBe('postgres://u:****@db/m?password=****&password=****');
    expect(maskDatabaseUrl('postgres://db/m?password=')).toBe('postgres://db/m?password=****');
  });

  it('leaves URLs without a password as they are', () => {
    for (const url of [
      'postgres://app@db:5432/members',
      'postgres://db/m?sslmode=require',
      'postgres://user:@db/m',
      'postgres://db/m?passwordless=1',
    ]) {
      expect(maskDatabaseUrl(url)).toBe(url);
    }
  });

  it('masks text that is not a valid URL generously: everything before the last @, and password parameters', () => {
    expect(maskDatabaseUrl('postgres://someone:s3cret@/none')).toBe('postgres://****@/none');
    expect(maskDatabaseUrl('postgres://u:pa/ss?wd@h1:5432,h2:5433/db')).toBe('postgres://****@h1:5432,h2:5433/db');
    expect(maskDatabaseUrl('postgres://h1:5432,h2:5433/db?password=s3cret')).toBe('postgres://h1:5432,h2:5433/db?password=****');
    expect(maskDatabaseUrl('not a url')).toBe('not a url');
  });
});

describe('withoutPasswords (what a client tool may see on its command line)', () => {
  it('drops every password and keeps everything else as written', () => {
    expect(withoutPasswords('postgres://admin:s3cret@db:5432/m')).toBe('postgres://admin@db:5432/m');
    expect(withoutPasswords('postgres://:s3cret@db/m')).toBe('postgres://db/m');
    expect(withoutPasswords('postgres://app@db/m?password=s3cret')).toBe('postgres://app@db/m');
    expect(withoutPasswords('postgres://u:a@db/m?sslmode=require&password=b&options=-c%20x%3Dy&sslpassword=c')).toBe(
      'postgres://u@db/m?sslmode=require&options=-c%20x%3Dy',
    );
    expect(withoutPasswords('postgres://db/m')).toBe('postgres://db/m');
  });
});

describe('passwordOf / sslPasswordOf', () => {
  it('the password the connection uses: the query parameter wins over the user info, as in libpq and node-postgres', () => {
    expect(passwordOf('postgres://u:from%2Finfo@db/m')).toBe('from/info');
    expect(passwordOf('postgres://u:from-info@db/m?password=from%20query')).toBe('from query');
    expect(passwordOf('postgres://u@db/m?password=a+b')).toBe('a b'); // node-postgres reads the query as URLSearchParams
    expect(passwordOf('postgres://u@db/m')).toBeUndefined();
    expect(passwordOf(undefined)).toBeUndefined();
    expect(sslPasswordOf('postgres://db/m?sslpassword=key%21pass')).toBe('key!pass');
    expect(sslPasswordOf('postgres://u:p@db/m')).toBeUndefined();
  });
});

describe('redact with passwordsOf (scrubbing driver and tool messages)', () => {
  it('scrubs passwords from the user info and the query, in every form they may appear', () => {
    const url = 'postgres://u:info%2Fpw@db/m?password=query+pw&sslpassword=key%21pw';
    const message = `failed for u:info%2Fpw / info/pw, password "query pw" (query+pw), key key!pw key%21pw`;
    const scrubbed = redact(message, passwordsOf(url));
    for (const secret of ['info', 'query', 'key!', 'key%21']) expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toBe('failed for u:**** / ****, password "****" (****), key **** ****');
  });

  it('masks a longer secret whole even when a shorter one is part of it', () => {
    expect(redact('abcdef and abc', ['abc', 'abcdef'])).toBe('**** and ****');
  });
});
