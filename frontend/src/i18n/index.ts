import { createI18n } from 'vue-i18n';

import en from './en';
import zhCN from './zh-CN';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

const STORAGE_KEY = 'ects.locale';

function initialLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored !== null && (LOCALES as readonly string[]).includes(stored)) {
    return stored as Locale;
  }

  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export type MessageSchema = typeof en;

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN },
});

/** Switches the language of the whole SPA and remembers it in this browser. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}

/** Translates outside components, e.g. in the unexpected-error helper. */
export function translate(key: string, values?: Record<string, unknown>): string {
  return values === undefined ? i18n.global.t(key) : i18n.global.t(key, values);
}
