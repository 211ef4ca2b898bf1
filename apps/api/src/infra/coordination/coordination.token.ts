/** Injection token of the Coordination port. */
export const COORDINATION = Symbol('COORDINATION');
