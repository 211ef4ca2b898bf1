// vue-tsc reads .vue files itself, but ESLint's TypeScript program cannot. There a .vue import is a
// generic component, so a type that needs a component's own members is written out where it is used.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';

  const component: DefineComponent<object, object, unknown>;
  export default component;
}
