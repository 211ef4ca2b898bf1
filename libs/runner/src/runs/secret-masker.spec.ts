import { describe, expect, it } from 'vitest';

import { SecretMasker } from './secret-masker';

describe('SecretMasker', () => {
  it('masks every occurrence of a secret', () => {
    const masker = new SecretMasker(['hunter2']);

    expect(masker.mask('pw=hunter2; again hunter2', false)).toEqual({
      masked: 'pw=********; again ********',
      rest: '',
    });
  });

  it('masks the longer of overlapping secrets whole', () => {
    const masker = new SecretMasker(['abc', 'abcdef']);

    expect(masker.mask('x abcdef y abc', false).masked).toBe('x ******** y ********');
  });

  it('holds back a possible secret start', () => {
    const masker = new SecretMasker(['hunter2']);

    const first = masker.mask('password: hunt', true);
    const second = masker.mask(`${first.rest}er2 done`, true);

    expect(first).toEqual({ masked: 'password: ', rest: 'hunt' });
    expect(second).toEqual({ masked: '******** done', rest: '' });
  });

  it('releases held text on the final flush', () => {
    const masker = new SecretMasker(['hunter2']);

    expect(masker.mask('ends with hun', false)).toEqual({ masked: 'ends with hun', rest: '' });
  });

  it('never splits a secret at the cut', () => {
    const masker = new SecretMasker(['ABCD', 'CDX']);

    const first = masker.mask('..ABCD', true);

    expect(first.masked + first.rest).not.toContain('AB');
    expect(first.masked).toBe('..********');
  });

  it('passes text through without secrets', () => {
    const masker = new SecretMasker(['']);

    expect(masker.active).toBe(false);
    expect(masker.mask('plain', true)).toEqual({ masked: 'plain', rest: '' });
  });
});
