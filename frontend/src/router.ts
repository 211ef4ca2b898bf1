import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';

import type { Operation } from './api/permissions';
import { useSessionStore } from './modules/auth/session.store';

declare module 'vue-router' {
  interface RouteMeta {
    /** Pages reachable without a session. */
    public?: boolean;
    /** The operation a page reads; users whose role may not call it never see the page. */
    operation?: Operation;
    /** i18n key of the page title. */
    title?: string;
  }
}

const routes: RouteRecordRaw[] = [
  {
    path: '/sign-in',
    name: 'sign-in',
    component: () => import('./modules/auth/SignInPage.vue'),
    meta: { public: true, title: 'auth.signIn' },
  },
  {
    path: '/',
    component: () => import('./shared/AppLayout.vue'),
    children: [
      {
        path: '',
        name: 'dashboard',
        component: () => import('./modules/dashboard/DashboardPage.vue'),
        meta: { operation: 'GET /api/dashboard/summary', title: 'nav.dashboard' },
      },
      {
        path: 'pipelines',
        name: 'pipelines',
        component: () => import('./modules/pipelines/PipelinesPage.vue'),
        meta: { operation: 'GET /api/pipelines', title: 'nav.pipelines' },
      },
      {
        path: 'pipelines/new',
        name: 'pipeline-new',
        component: () => import('./modules/pipelines/PipelinePage.vue'),
        meta: { operation: 'POST /api/pipelines', title: 'pipelines.new' },
      },
      {
        path: 'pipelines/:id',
        name: 'pipeline',
        component: () => import('./modules/pipelines/PipelinePage.vue'),
        props: true,
        meta: { operation: 'GET /api/pipelines/{id}', title: 'nav.pipelines' },
      },
      {
        path: 'runs',
        name: 'runs',
        component: () => import('./modules/runs/RunsPage.vue'),
        meta: { operation: 'GET /api/runs', title: 'nav.runs' },
      },
      {
        path: 'runs/:id',
        name: 'run',
        component: () => import('./modules/runs/RunPage.vue'),
        props: true,
        meta: { operation: 'GET /api/runs/{id}', title: 'nav.runs' },
      },
      {
        path: 'tasks',
        name: 'tasks',
        component: () => import('./modules/tasks/TasksPage.vue'),
        meta: { operation: 'GET /api/tasks', title: 'nav.tasks' },
      },
      {
        path: 'tasks/new',
        name: 'task-new',
        component: () => import('./modules/tasks/TaskPage.vue'),
        meta: { operation: 'POST /api/tasks', title: 'tasks.new' },
      },
      {
        path: 'tasks/:id',
        name: 'task',
        component: () => import('./modules/tasks/TaskPage.vue'),
        props: true,
        meta: { operation: 'GET /api/tasks/{id}', title: 'nav.tasks' },
      },
      {
        path: 'nodes',
        name: 'nodes',
        component: () => import('./modules/nodes/NodesPage.vue'),
        meta: { operation: 'GET /api/nodes', title: 'nav.nodes' },
      },
      {
        path: 'nodes/:id',
        name: 'node',
        component: () => import('./modules/nodes/NodePage.vue'),
        props: true,
        meta: { operation: 'GET /api/nodes/{id}', title: 'nav.nodes' },
      },
      {
        path: 'users',
        name: 'users',
        component: () => import('./modules/users/UsersPage.vue'),
        meta: { operation: 'GET /api/users', title: 'nav.users' },
      },
      {
        path: 'tokens',
        name: 'tokens',
        component: () => import('./modules/tokens/TokensPage.vue'),
        meta: { operation: 'GET /api/tokens', title: 'nav.tokens' },
      },
      {
        path: 'audit',
        name: 'audit',
        component: () => import('./modules/audit/AuditPage.vue'),
        meta: { operation: 'GET /api/audit-events', title: 'nav.audit' },
      },
      {
        path: 'settings',
        name: 'settings',
        component: () => import('./modules/settings/SettingsPage.vue'),
        meta: { operation: 'GET /api/settings/smtp', title: 'nav.settings' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./shared/NotFoundPage.vue'),
        meta: { title: 'notFound.title' },
      },
    ],
  },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach((to) => {
  const session = useSessionStore();
  if (to.meta.public) {
    return to.name === 'sign-in' && session.signedIn ? { name: 'dashboard' } : true;
  }
  if (!session.signedIn) {
    return { name: 'sign-in', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
  }
  if (to.meta.operation !== undefined && !session.can(to.meta.operation)) {
    return { name: 'not-found', params: { pathMatch: to.path.slice(1).split('/') } };
  }

  return true;
});
