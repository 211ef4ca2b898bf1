import { onScopeDispose, toValue, watch, type MaybeRefOrGetter } from 'vue';

import { live, type LiveEventMap, type LiveEventName, type LiveRoom } from './live-client';

/**
 * Follows one event of a live room for as long as the calling component lives. A null room follows
 * nothing; a changed room leaves the old one. `onResync` runs after a reconnect.
 */
export function useLiveEvent<E extends LiveEventName>(
  room: MaybeRefOrGetter<LiveRoom | null>,
  event: E,
  handler: (payload: LiveEventMap[E]) => void,
  onResync?: () => void,
): void {
  let stop: (() => void) | undefined;

  watch(
    () => toValue(room),
    (next) => {
      stop?.();
      stop = next === null ? undefined : live.follow(next, event, handler, onResync);
    },
    { immediate: true },
  );

  onScopeDispose(() => stop?.());
}
