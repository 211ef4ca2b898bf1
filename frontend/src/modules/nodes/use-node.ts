import { ref, toValue, watch, type MaybeRefOrGetter } from 'vue';

import { api, type Schemas, unwrap } from '../../api/client';
import { useLiveEvent } from '../../live/use-live';
import { unexpectedError } from '../../shared/unexpected-error';

type Node = Schemas['NodeDto'];

/** Loads one node with the pipelines bound to it and keeps it current from the node's live room. */
export function useNode(nodeId: MaybeRefOrGetter<string>) {
  const node = ref<Node | null>(null);
  const pipelines = ref<Schemas['PipelineDto'][]>([]);
  const loading = ref(false);
  const acting = ref(false);

  async function load(): Promise<void> {
    const id = toValue(nodeId);
    loading.value = true;
    try {
      const [loaded, bound] = await Promise.all([
        unwrap(api.GET('/api/nodes/{id}', { params: { path: { id } } })),
        unwrap(api.GET('/api/pipelines', { params: { query: { nodeId: id, pageSize: 200 } } })),
      ]);
      node.value = loaded;
      pipelines.value = bound.items;
    } catch (error: unknown) {
      unexpectedError(error);
    } finally {
      loading.value = false;
    }
  }

  /** Runs one change to the node and keeps the node the API returns. */
  async function act(change: () => Promise<Node | undefined>): Promise<boolean> {
    acting.value = true;
    try {
      const updated = await change();
      if (updated !== undefined) {
        node.value = updated;
      }

      return true;
    } catch (error: unknown) {
      unexpectedError(error);

      return false;
    } finally {
      acting.value = false;
    }
  }

  const path = () => ({ path: { id: toValue(nodeId) } });

  const updateLabels = (labels: Record<string, string>) =>
    act(() => unwrap(api.PATCH('/api/nodes/{id}', { params: path(), body: { labels } })));
  const drain = () => act(() => unwrap(api.POST('/api/nodes/{id}/drain', { params: path() })));
  const undrain = () => act(() => unwrap(api.POST('/api/nodes/{id}/undrain', { params: path() })));
  const remove = () =>
    act(async () => {
      await unwrap(api.DELETE('/api/nodes/{id}', { params: path() }));

      return undefined;
    });

  useLiveEvent(
    () => `node:${toValue(nodeId)}` as const,
    'node',
    (event) => {
      if (node.value !== null) {
        node.value = { ...node.value, status: event.status, lastSeenAt: event.lastSeenAt, version: event.version };
      }
    },
    () => void load(),
  );

  watch(() => toValue(nodeId), load, { immediate: true });

  return { node, pipelines, loading, acting, load, updateLabels, drain, undrain, remove };
}
