import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';

export class RunNowDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "Run on this bound node only; omit to follow the pipeline's mode (all bound nodes, or one)",
  })
  @IsOptional()
  @IsUUID()
  nodeId?: string;
}

export class StartedRunDto {
  @ApiProperty({ format: 'uuid', description: 'Id of the new run' })
  runId!: string;

  @ApiProperty({ format: 'uuid', description: 'Node that runs it' })
  nodeId!: string;
}

export class RunNowResultDto {
  @ApiProperty({ type: [StartedRunDto], description: 'One run per node asked to run the pipeline' })
  runs!: StartedRunDto[];
}

export class KillResultDto {
  @ApiProperty({ format: 'uuid', description: 'Run asked to stop' })
  runId!: string;

  @ApiProperty({ description: 'The kill was sent to the node; the run becomes killed once the agent has stopped it' })
  requested!: boolean;
}
