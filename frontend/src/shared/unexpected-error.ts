import { ElMessage } from 'element-plus';
import 'element-plus/es/components/message/style/css';

import { ApiError } from '../api/client';
import { translate } from '../i18n';

/**
 * Tells the user that an action failed. API errors show the API's message, and a lost connection gets
 * its own message. Anything else is a bug and also goes to the console with its stack.
 */
export function unexpectedError(error: unknown): void {
  if (error instanceof ApiError) {
    // The session guard already sends the user to sign in; a second message would only repeat it.
    if (error.status !== 401) {
      ElMessage.error({ message: error.message, grouping: true });
    }

    return;
  }

  if (error instanceof TypeError && /fetch|network/i.test(error.message)) {
    ElMessage.error({ message: translate('errors.network'), grouping: true });

    return;
  }

  console.error(error);
  ElMessage.error({ message: translate('errors.unexpected'), grouping: true });
}
