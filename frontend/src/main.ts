import { createPinia } from 'pinia';
import { createApp, watch } from 'vue';

import App from './App.vue';
import { setAuthHooks } from './api/client';
import { i18n } from './i18n';
import { live } from './live/live-client';
import { useSessionStore } from './modules/auth/session.store';
import { router } from './router';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
app.use(router);

const session = useSessionStore(pinia);
setAuthHooks({ token: () => session.token, unauthorized: () => session.end('expired') });

live.setToken(session.token);

// A session that ends anywhere (sign-out, expiry, a rejected token) leads back to the sign-in page. At
// start the router guard does that, so only later changes matter here.
watch(
  () => session.token,
  (token) => {
    live.setToken(token);
    if (token === null && router.currentRoute.value.meta.public !== true) {
      const redirect = router.currentRoute.value.fullPath;
      void router.replace({ name: 'sign-in', query: redirect === '/' ? {} : { redirect } });
    }
  },
);

document.documentElement.lang = i18n.global.locale.value;
app.mount('#app');
