import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';

import type { Schemas } from '../../api/client';
import { i18n, setLocale } from '../../i18n';
import StepEditor from './StepEditor.vue';
import { emptyStep, toStepInput, type StepDraft } from './steps';

const TASKS: Schemas['TaskDto'][] = ['backup', 'upload', 'notify'].map((name, index) => ({
  id: `00000000-0000-7000-8000-00000000000${index}`,
  name,
  description: '',
  kind: name === 'notify' ? 'http' : 'shell',
  config: name === 'notify' ? { method: 'POST', url: 'https://example.com' } : { command: `${name}.sh` },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}));

function steps(...names: string[]): StepDraft[] {
  return names.map((name) => emptyStep(TASKS.find((task) => task.name === name)!.id));
}

function render(initial: StepDraft[], props: { readonly?: boolean; showErrors?: boolean } = {}) {
  const wrapper = mount(StepEditor, {
    props: {
      modelValue: initial,
      tasks: TASKS,
      ...props,
      'onUpdate:modelValue': (value: StepDraft[]) => wrapper.setProps({ modelValue: value }),
    },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });

  return wrapper;
}

/** Task names of the steps in the current model order. */
function order(wrapper: ReturnType<typeof render>): string[] {
  return (wrapper.props('modelValue') as StepDraft[]).map(
    (step) => TASKS.find((task) => task.id === step.taskId)?.name ?? '',
  );
}

/** Element Plus shows a form item's error after a short debounce, so checks wait a little longer. */
async function errorsShown(): Promise<void> {
  await flushPromises();
  await new Promise((resolve) => setTimeout(resolve, 250));
}

describe('StepEditor', () => {
  beforeEach(() => setLocale('en'));

  it('renders one row per step', () => {
    const wrapper = render(steps('backup', 'upload'));
    const rows = wrapper.findAll('[data-test=step]');

    expect(rows).toHaveLength(2);
    expect(rows[0]!.text()).toContain('#1');
    expect(rows[1]!.text()).toContain('#2');
    expect(wrapper.findAll('[data-test=step-task] input')).toHaveLength(2);
  });

  it('moves a step with the arrows', async () => {
    const wrapper = render(steps('backup', 'upload', 'notify'));

    await wrapper.findAll('[data-test=step-down]')[0]!.trigger('click');
    expect(order(wrapper)).toEqual(['upload', 'backup', 'notify']);

    await wrapper.findAll('[data-test=step-up]')[2]!.trigger('click');
    expect(order(wrapper)).toEqual(['upload', 'notify', 'backup']);
  });

  it('disables arrows at the ends', () => {
    const wrapper = render(steps('backup', 'upload'));

    expect(wrapper.findAll('[data-test=step-up]')[0]!.attributes('disabled')).toBeDefined();
    expect(wrapper.findAll('[data-test=step-down]')[1]!.attributes('disabled')).toBeDefined();
    expect(wrapper.findAll('[data-test=step-down]')[0]!.attributes('disabled')).toBeUndefined();
  });

  it('reorders by drag and drop', async () => {
    const wrapper = render(steps('backup', 'upload', 'notify'));
    const rows = wrapper.findAll('[data-test=step]');

    await wrapper.findAll('[data-test=step-handle]')[0]!.trigger('dragstart');
    await rows[2]!.trigger('dragover');
    expect(rows[2]!.classes()).toContain('drop-target');
    await rows[2]!.trigger('drop');

    expect(order(wrapper)).toEqual(['upload', 'notify', 'backup']);
    expect(wrapper.findAll('.drop-target')).toHaveLength(0);
  });

  it('ignores drops without a drag', async () => {
    const wrapper = render(steps('backup', 'upload'));

    await wrapper.findAll('[data-test=step]')[1]!.trigger('drop');

    expect(order(wrapper)).toEqual(['backup', 'upload']);
  });

  it('keeps step identity while moving', async () => {
    const initial = steps('backup', 'upload');
    const wrapper = render(initial);

    await wrapper.findAll('[data-test=step-down]')[0]!.trigger('click');
    const moved = wrapper.props('modelValue') as StepDraft[];

    expect(moved.map((step) => step.key)).toEqual([initial[1]!.key, initial[0]!.key]);
  });

  it('adds and removes steps', async () => {
    const wrapper = render(steps('backup'));

    await wrapper.get('[data-test=step-add]').trigger('click');
    expect(wrapper.findAll('[data-test=step]')).toHaveLength(2);
    expect((wrapper.props('modelValue') as StepDraft[])[1]!.taskId).toBe('');
    // A new step opens its settings, so its options are visible at once.
    expect(wrapper.findAll('[data-test=step]')[1]!.find('[data-test=step-settings]').exists()).toBe(true);

    await wrapper.findAll('[data-test=step-remove]')[0]!.trigger('click');
    expect(wrapper.findAll('[data-test=step]')).toHaveLength(1);
    expect(order(wrapper)).toEqual(['']);
  });

  it('edits per-step settings', async () => {
    const wrapper = render(steps('backup', 'upload'));

    await wrapper.get('[data-test=step-settings-1]').trigger('click');
    const settings = wrapper.findAll('[data-test=step]')[1]!.get('[data-test=step-settings]');
    const timeout = settings.get('[data-test=step-timeout] input');
    await timeout.setValue('90');
    await timeout.trigger('change');
    const retries = settings.get('[data-test=step-retries] input');
    await retries.setValue('3');
    await retries.trigger('change');
    await settings.findAll('[data-test=step-on-failure] input')[1]!.setValue(true);
    await flushPromises();

    const [first, second] = wrapper.props('modelValue') as StepDraft[];
    expect(second!.timeoutSeconds).toBe(90);
    expect(second!.retries).toBe(3);
    expect(second!.onFailure).toBe('continue');
    expect(first!.timeoutSeconds).toBe(0);
    expect(wrapper.findAll('[data-test=step]')[1]!.text()).toContain('timeout 90 s, retries 3');
  });

  it('flags invalid settings inline', async () => {
    const draft = steps('backup');
    draft[0] = {
      ...draft[0]!,
      workingDirectory: 'relative/dir',
      runAsUser: 'Not A User',
      env: [{ name: '1BAD', value: 'x', secret: false }],
    };
    const wrapper = render(draft);
    const editor = wrapper.vm as unknown as { isValid(): boolean };

    await wrapper.get('[data-test=step-settings-0]').trigger('click');
    await errorsShown();

    expect(wrapper.text()).toContain('An absolute path starting with /');
    expect(wrapper.text()).toContain('A Unix user name such as backup');
    expect(wrapper.text()).toContain('Letters, digits and _, not starting with a digit');
    expect(editor.isValid()).toBe(false);
  });

  it('requires a task once saving', async () => {
    const wrapper = render([emptyStep()]);
    const editor = wrapper.vm as unknown as { isValid(): boolean };

    expect(wrapper.text()).not.toContain('Choose the task this step runs');
    await wrapper.setProps({ showErrors: true });
    await errorsShown();

    expect(wrapper.text()).toContain('Choose the task this step runs');
    expect(editor.isValid()).toBe(false);
  });

  it('accepts a complete pipeline', () => {
    const wrapper = render(steps('backup', 'notify'));
    const editor = wrapper.vm as unknown as { isValid(): boolean };

    expect(editor.isValid()).toBe(true);
  });

  it('rejects an empty step list', () => {
    const wrapper = render([]);
    const editor = wrapper.vm as unknown as { isValid(): boolean };

    expect(wrapper.text()).toContain('No steps yet');
    expect(editor.isValid()).toBe(false);
  });

  it('hides editing controls when read-only', async () => {
    const wrapper = render(steps('backup', 'upload'), { readonly: true });
    await wrapper.get('[data-test=step-settings-0]').trigger('click');

    expect(wrapper.find('[data-test=step-handle]').exists()).toBe(false);
    expect(wrapper.find('[data-test=step-add]').exists()).toBe(false);
    expect(wrapper.find('[data-test=step-remove]').exists()).toBe(false);
    expect(wrapper.find('[data-test=step-up]').exists()).toBe(false);
    expect(wrapper.get('[data-test=step-task] input').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-test=step-timeout] input').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-test=step-settings]').find('form').exists()).toBe(false);
  });

  it('sends steps in the API shape', () => {
    const [step] = steps('backup');
    const input = toStepInput({
      ...step!,
      id: 'step-id',
      runAsUser: ' backup ',
      workingDirectory: '',
      env: [
        { name: 'TARGET', value: 's3://bucket', secret: false },
        { name: ' ', value: 'dropped', secret: false },
        { name: 'TOKEN', value: '********', secret: true },
      ],
    });

    expect(input).toEqual({
      id: 'step-id',
      taskId: TASKS[0]!.id,
      timeoutSeconds: 0,
      retries: 0,
      retryIntervalSeconds: 0,
      retryBackoff: 'fixed',
      onFailure: 'stop',
      runAsUser: 'backup',
      workingDirectory: null,
      env: [
        { name: 'TARGET', value: 's3://bucket', secret: false },
        { name: 'TOKEN', value: '********', secret: true },
      ],
    });
  });
});
