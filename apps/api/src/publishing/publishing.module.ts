import { Module } from '@nestjs/common';

import { AssignmentPublisher } from './assignment.publisher';
import { Reconciler } from './reconciler';
import { SnapshotBuilder } from './snapshot.builder';

@Module({
  providers: [SnapshotBuilder, AssignmentPublisher, Reconciler],
  exports: [SnapshotBuilder, AssignmentPublisher, Reconciler],
})
export class PublishingModule {}
