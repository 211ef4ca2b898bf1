import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';

import en from './en';
import zhCN from './zh-CN';

type Messages = { [key: string]: string | Messages };

function leafKeys(messages: Messages, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : leafKeys(value, `${prefix}${key}.`),
  );
}

/** Values for every placeholder the messages use, so each one renders completely. */
const VALUES = {
  n: 3,
  min: 10,
  max: 120,
  m: 4,
  s: '05',
  h: 2,
  count: 10,
  zone: 'Europe/Berlin',
  from: '+01:00',
  to: '+02:00',
  name: 'nightly',
  pipeline: 'nightly',
  timeout: 30,
  retries: 2,
  code: 1,
  bytes: '1 KiB',
  variables: '{{pipeline}}',
  id: 'abc',
};

describe('messages', () => {
  it('Chinese has every English key', () => {
    expect(leafKeys(zhCN as Messages).sort()).toEqual(leafKeys(en as Messages).sort());
  });

  for (const [locale, messages] of [
    ['en', en],
    ['zh-CN', zhCN],
  ] as const) {
    it(`${locale} messages all compile`, () => {
      const errors: string[] = [];
      const i18n = createI18n({
        legacy: false,
        locale,
        messages: { [locale]: messages },
        missingWarn: false,
        fallbackWarn: false,
        warnHtmlMessage: false,
      });

      for (const key of leafKeys(messages)) {
        try {
          const text = i18n.global.t(key, VALUES);
          if (text === key || text.includes('{') !== (key === 'tasks.mailVariables')) {
            errors.push(`${key}: rendered as "${text}"`);
          }
        } catch (error: unknown) {
          errors.push(`${key}: ${String(error)}`);
        }
      }

      expect(errors).toEqual([]);
    });
  }
});
