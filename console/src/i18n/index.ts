/**
 * Our own strings in English and Chinese (antd's components bring their own locale). The choice
 * is remembered per browser in localStorage; the first visit follows the browser's language.
 */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.js';
import { zh } from './zh.js';

export type Language = 'en' | 'zh';

const LANG_KEY = 'ecsimg.lang';

function initialLanguage(): Language {
  const saved = window.localStorage.getItem(LANG_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, zh: { translation: zh } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  // React escapes what it renders; escaping here too would show &quot; in the page.
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language === 'zh' ? 'zh-CN' : 'en';

export function setLanguage(lang: Language): void {
  window.localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  void i18n.changeLanguage(lang);
}

export function currentLanguage(): Language {
  return i18n.language === 'zh' ? 'zh' : 'en';
}

export default i18n;
