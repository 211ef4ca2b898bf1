// Child process for the spool crash test: appends numbered events as fast as it can and prints the
// seq of each one after append() returned, until the parent kills it with SIGKILL.
import { EventSpool } from '../../src/reporting/spool';

const directory = process.argv[2];
const spool = EventSpool.open(directory, {
  logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
});

function appendBatch(): void {
  for (let index = 0; index < 200; index += 1) {
    const envelope = spool.append({
      type: 'step.output',
      runId: 'crash-test',
      position: 0,
      chunks: [{ sequence: index, stream: 'stdout', data: 'x'.repeat(100) }],
    });
    process.stdout.write(`${envelope.seq}\n`);
  }
  setImmediate(appendBatch);
}

appendBatch();
