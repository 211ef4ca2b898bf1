import type { MailRequest, MailTaskConfig } from '@ects/domain';

import { failed, stopped, type StepContext, type StepOutcome } from './step';

/** Time the API has to send the mail and confirm it. */
export const MAIL_TIMEOUT_MS = 30_000;

/** Replaces `{{pipeline}}`, `{{status}}`, `{{run}}` and `{{node}}`; other placeholders stay as written. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (placeholder, name: string) => values[name] ?? placeholder);
}

/**
 * Sends a mail through the API, which has the SMTP settings. The agent sends the request over its
 * Socket.IO connection and waits up to 30 s for the result.
 */
export async function runMailStep(context: StepContext): Promise<StepOutcome> {
  const { output, signal } = context;
  const config = context.step.task.config as MailTaskConfig;
  const run = context.describeRun();
  const values = { pipeline: run.pipeline.name, status: run.status, run: run.runId, node: run.node.name };

  const request: MailRequest = {
    to: config.to,
    subject: fillTemplate(config.subject, values),
    body: fillTemplate(config.body, values),
  };
  if (config.cc !== undefined && config.cc.length > 0) {
    request.cc = config.cc;
  }

  output.system(`[ECTS] Sending mail "${request.subject}" to ${request.to.join(', ')}`);
  const result = await context.sendMail(request, MAIL_TIMEOUT_MS, signal);

  if (signal.aborted) {
    return stopped(signal);
  }
  if (!result.ok) {
    return failed(`sending the mail failed: ${result.error}`);
  }

  output.system(`[ECTS] Mail accepted by the API as message ${result.messageId}`);

  return { status: 'succeeded', exitCode: null, httpStatus: null, errorMessage: null };
}
