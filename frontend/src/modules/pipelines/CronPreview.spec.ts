import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';

import { i18n, setLocale } from '../../i18n';
import CronPreview from './CronPreview.vue';

function render(props: { cron: string; timezone: string; from?: Date; count?: number }) {
  return mount(CronPreview, { props, global: { plugins: [i18n] } });
}

/** Each fire as "date time offset", with " DST change …" appended when it is marked. */
function fireTexts(wrapper: ReturnType<typeof render>): string[] {
  return wrapper.findAll('[data-test=cron-fire]').map((item) => {
    const time = `${item.get('[data-test=cron-fire-time]').text()} ${item.get('[data-test=cron-fire-offset]').text()}`;
    const dst = item.find('[data-test=cron-dst]');

    return dst.exists() ? `${time} ${dst.text()}` : time;
  });
}

describe('CronPreview', () => {
  beforeEach(() => setLocale('en'));

  it('explains the expression in words', () => {
    const wrapper = render({ cron: '30 2 * * *', timezone: 'UTC', from: new Date('2026-01-01T00:00:00Z') });

    expect(wrapper.get('[data-test=cron-description]').text()).toBe('At 02:30');
  });

  it('lists ten fire times by default', () => {
    const wrapper = render({ cron: '*/15 * * * *', timezone: 'UTC', from: new Date('2026-01-01T00:00:00Z') });
    const fires = fireTexts(wrapper);

    expect(fires).toHaveLength(10);
    expect(fires[0]).toBe('2026-01-01 00:15:00 +00:00');
    expect(fires[9]).toBe('2026-01-01 02:30:00 +00:00');
  });

  it('shows times in the pipeline zone', () => {
    const wrapper = render({
      cron: '0 9 * * 1-5',
      timezone: 'Asia/Shanghai',
      from: new Date('2026-06-01T00:00:00Z'),
      count: 2,
    });

    expect(fireTexts(wrapper)).toEqual(['2026-06-01 09:00:00 +08:00', '2026-06-02 09:00:00 +08:00']);
  });

  it('marks the spring-forward change', () => {
    const wrapper = render({
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      from: new Date('2026-03-26T12:00:00Z'),
      count: 4,
    });
    const fires = fireTexts(wrapper);

    expect(fires[0]).toBe('2026-03-27 02:30:00 +01:00');
    expect(fires[1]).toBe('2026-03-28 02:30:00 +01:00');
    // 02:30 does not exist on 29 March in Berlin, so the fire happens at the jump, 03:00 summer time.
    expect(fires[2]).toBe('2026-03-29 03:00:00 +02:00 DST change +01:00 → +02:00');
    expect(fires[3]).toBe('2026-03-30 02:30:00 +02:00');
    expect(wrapper.findAll('[data-test=cron-dst]')).toHaveLength(1);
  });

  it('marks the fall-back change', () => {
    const wrapper = render({
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      from: new Date('2026-10-24T12:00:00Z'),
      count: 3,
    });
    const fires = fireTexts(wrapper);

    // 02:30 happens twice on 25 October; a fixed-time job fires once, at the first one.
    expect(fires[0]).toBe('2026-10-25 02:30:00 +02:00');
    expect(fires[1]).toBe('2026-10-26 02:30:00 +01:00 DST change +02:00 → +01:00');
    expect(fires[2]).toBe('2026-10-27 02:30:00 +01:00');
  });

  it('marks a change before the first fire', () => {
    const wrapper = render({
      cron: '0 12 * * *',
      timezone: 'Europe/Berlin',
      from: new Date('2026-03-28T23:00:00Z'),
      count: 1,
    });

    expect(fireTexts(wrapper)).toEqual(['2026-03-29 12:00:00 +02:00 DST change +01:00 → +02:00']);
  });

  it('reports an invalid field', () => {
    const wrapper = render({ cron: '61 * * * *', timezone: 'UTC' });

    expect(wrapper.find('[data-test=cron-error]').text()).toContain('minute field "61": value 61 is out of range 0-59');
    expect(wrapper.findAll('[data-test=cron-fire]')).toHaveLength(0);
  });

  it('reports an unknown time zone', () => {
    const wrapper = render({ cron: '0 * * * *', timezone: 'Mars/Olympus' });

    expect(wrapper.find('[data-test=cron-error]').text()).toContain('"Mars/Olympus" is not a known IANA time zone');
  });

  it('follows prop changes', async () => {
    const wrapper = render({ cron: '0 0 * * *', timezone: 'UTC', from: new Date('2026-01-01T00:00:00Z'), count: 1 });
    await wrapper.setProps({ cron: '0 6 * * *' });

    expect(wrapper.get('[data-test=cron-description]').text()).toBe('At 06:00');
    expect(fireTexts(wrapper)).toEqual(['2026-01-01 06:00:00 +00:00']);
  });

  it('explains in Chinese when chosen', () => {
    setLocale('zh-CN');
    const wrapper = render({ cron: '0 9 * * 1-5', timezone: 'Asia/Shanghai', from: new Date('2026-06-01T00:00:00Z') });

    expect(wrapper.get('[data-test=cron-description]').text()).toBe('每周一至周五 09:00');
    expect(wrapper.text()).toContain('Asia/Shanghai 时区接下来的 10 次触发');
  });

  it('falls back to English for rare shapes', () => {
    setLocale('zh-CN');
    const wrapper = render({ cron: '0 0 L * *', timezone: 'UTC', from: new Date('2026-06-01T00:00:00Z') });

    expect(wrapper.get('[data-test=cron-description]').text()).toBe('At 00:00, on the last day of the month');
  });

  it('asks for an expression when empty', () => {
    const wrapper = render({ cron: '  ', timezone: 'UTC' });

    expect(wrapper.text()).toBe('Type a cron expression to see when it fires');
  });
});
