import { Module } from '@nestjs/common';

import { NodePresence } from './node-presence';

@Module({ providers: [NodePresence] })
export class PresenceModule {}
